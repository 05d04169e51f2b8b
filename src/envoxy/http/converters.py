"""``{name:type}`` endpoint segments and their converters (Flask's names).

``str``/``string`` (one non-empty segment), ``int`` (digits), ``float``
(digits with a dot), ``uuid`` (a ``uuid.UUID``, from the hyphenated
8-4-4-4-12 form only), ``path`` (the rest of the path, slashes included; last
segment only). A value that does not convert means the route does not match:
a 404, never a 500.

A ``path`` value is the decoded path: it may hold ``..`` segments or start
like an absolute path. Never join it to a folder yourself: use
``envoxy.utils.paths.safe_join(folder, rest)``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from envoxy.exceptions import ConfigError

__all__ = ["CONVERTERS", "Segment", "parse_endpoint"]

_VARIABLE = re.compile(r"^\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<type>[a-z]+))?\}$")
_FLOAT = re.compile(r"[0-9]+\.[0-9]+")
#: RFC 9562's textual form (hex is case-insensitive on input); not the braced,
#: ``urn:uuid:`` or undashed spellings uuid.UUID also takes
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


class NoMatch(ValueError):
    """A segment's text does not fit its converter."""


def _string(text: str) -> str:
    if not text:
        raise NoMatch(text)
    return text


def _int(text: str) -> int:
    # ASCII digits only: int() would also take "٣", "+3", " 3" or "3_0"
    if not (text.isascii() and text.isdigit()):
        raise NoMatch(text)
    try:
        return int(text)
    except ValueError:  # over Python's int-from-string digit limit (4300)
        raise NoMatch(text[:40]) from None


def _float(text: str) -> float:
    if not _FLOAT.fullmatch(text):
        raise NoMatch(text)
    return float(text)


def _uuid(text: str) -> uuid.UUID:
    if not _UUID.fullmatch(text):
        raise NoMatch(text)
    return uuid.UUID(text)


CONVERTERS: dict[str, Callable[[str], Any]] = {
    "str": _string,
    "string": _string,
    "int": _int,
    "float": _float,
    "uuid": _uuid,
    "path": _string,
}


class Segment:
    """One ``{name:type}`` segment: its level index and converter."""

    __slots__ = ("convert", "index", "name", "rest")

    def __init__(self, index: int, name: str, kind: str) -> None:
        self.index = index
        self.name = name
        self.convert = CONVERTERS[kind]
        self.rest = kind == "path"  # takes every level from here on


def parse_endpoint(endpoint: str) -> tuple[str, tuple[Segment, ...]]:
    """``/v3/cards/{card_id:uuid}`` -> (the router pattern, its segments).

    The router pattern has ``+`` where a variable is (``#`` for a final
    ``path``); ``ConfigError`` for an unknown type or a misplaced ``path``."""
    if not isinstance(endpoint, str) or not endpoint.startswith("/"):
        raise ConfigError(f"an HTTP endpoint must start with '/': {endpoint!r}")
    levels = endpoint.split("/")
    segments: list[Segment] = []
    last = len(levels) - 1
    for index, level in enumerate(levels):
        if "{" not in level and "}" not in level:
            if level in ("+", "#"):
                raise ConfigError(f"{endpoint!r}: '{level}' is not a valid segment")
            continue
        found = _VARIABLE.match(level)
        if found is None:
            raise ConfigError(f"{endpoint!r}: bad variable segment {level!r}")
        kind = found["type"] or "string"
        if kind not in CONVERTERS:
            raise ConfigError(
                f"{endpoint!r}: unknown type {kind!r} (use {', '.join(CONVERTERS)})"
            )
        if kind == "path" and index != last:
            raise ConfigError(f"{endpoint!r}: a path variable must be the last segment")
        segments.append(Segment(index, found["name"], kind))
        levels[index] = "#" if kind == "path" else "+"
    return "/".join(levels), tuple(segments)
