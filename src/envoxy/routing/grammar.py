"""The endpoint grammar, in one place, for every transport.

An endpoint is ``/``-separated levels. A level is a literal, ``{name}`` (one
level, a string) or ``{name:type}``:

- ``str`` / ``string``: one non-empty level;
- ``int``: ASCII digits (not ``+3``, `` 3``, ``3_0`` or ``٣``, which ``int()``
  takes; more than 4,300 digits, Python's limit, do not match either);
- ``float``: digits, a dot, digits;
- ``uuid``: the hyphenated 8-4-4-4-12 form (hex in either case, RFC 9562), as a
  ``uuid.UUID``: not ``{...}``, ``urn:uuid:`` or undashed hex;
- ``path``: the rest of the path, slashes included (last level only). It is
  the decoded path: it may hold ``..``; join it with
  ``envoxy.utils.paths.safe_join``.

A value that does not convert means the endpoint does not match (a 404 on
HTTP and ZeroMQ, no delivery on MQTT), never an error. MQTT topics may also
use the filters' own ``+`` and final ``#`` and a ``$share/<group>/`` prefix.

``parse_endpoint`` (HTTP, ZeroMQ) and ``parse_topic`` (MQTT) give an
``Endpoint``: the router's pattern (``+`` for a variable, ``#`` for a final
path), the typed capture plan the router applies while matching (nothing
splits the path twice), the filter a broker is subscribed to, and the
untyped form upstream's auth plugins receive as ``topic``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from envoxy import _speedups
from envoxy.exceptions import ConfigError

__all__ = [
    "CONVERTERS",
    "Capture",
    "Endpoint",
    "NoMatch",
    "parse_endpoint",
    "parse_topic",
]

SHARE_PREFIX = "$share/"
_VARIABLE = re.compile(r"^\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<type>[a-z]+))?\}$")
_ROUTER = _speedups.load("router")
#: ``{name:type}`` -> the router's conversion kind (the conversions are compiled
#: with the router, which applies them while matching)
KINDS: Mapping[str, int] = _ROUTER.KINDS
TYPES = tuple(name for name in KINDS if name != "raw")


class NoMatch(ValueError):
    """A level's text does not fit its converter: that endpoint does not match."""


def _converter(kind: int) -> Callable[[str], Any]:
    convert_level, no_match = _ROUTER.convert_level, _ROUTER.NO_MATCH

    def convert(text: str) -> Any:
        value = convert_level(kind, text)
        if value is no_match:
            raise NoMatch(text[:40])
        return value

    return convert


#: ``{name:type}`` -> the converter of its text (``NoMatch`` when it does not
#: fit): the router's own conversions, for callers outside a match
CONVERTERS: dict[str, Callable[[str], Any]] = {
    name: _converter(KINDS[name]) for name in TYPES
}

#: (level index, name, conversion kind (0: the raw text), takes the rest of the path)
Capture = tuple[int, str, int, bool]


class Endpoint(NamedTuple):
    """One parsed endpoint (see the module docstring). A named tuple, not a
    frozen dataclass: made once per subscription, and a frozen dataclass
    pays an ``object.__setattr__`` per field (mqtt-subscribe-100000)."""

    text: str
    pattern: str
    captures: tuple[Capture, ...]
    broker_filter: str
    topic: str


def _plain_level(
    level: str, index: int, last: int, where: str, wildcards: bool
) -> None:
    """Refuse a level without variables that is no valid level here."""
    if level in ("+", "#") or (wildcards and ("+" in level or "#" in level)):
        if not wildcards:
            raise ConfigError(f"{where}: {level!r} is not a valid level")
        if level == "#" and index != last:
            raise ConfigError(f"{where}: '#' must be the last level")
        if level not in ("+", "#"):
            raise ConfigError(f"{where}: wildcards must fill a whole level")


def _levels(text: str, where: str, wildcards: bool, plain: int) -> Endpoint:
    levels = text.split("/")
    if "{" not in text and "}" not in text:
        # PERF(mqtt-subscribe-100000): no variables, nothing to rewrite: only
        # the levels with a wildcard character need a look
        if "+" in text or "#" in text:
            last = len(levels) - 1
            for index, level in enumerate(levels):
                if "+" in level or "#" in level:
                    _plain_level(level, index, last, where, wildcards)
        return Endpoint(text, text, (), text, text)
    pattern: list[str] = []
    captures: list[Capture] = []
    untyped: list[str] = []
    last = len(levels) - 1
    for index, level in enumerate(levels):
        found = _VARIABLE.match(level) if "{" in level or "}" in level else None
        if found is None:
            if "{" in level or "}" in level:
                raise ConfigError(f"{where}: bad variable level {level!r}")
            _plain_level(level, index, last, where, wildcards)
            pattern.append(level)
            untyped.append(level)
            continue
        kind = found["type"]
        if kind is not None and kind not in TYPES:
            raise ConfigError(
                f"{where}: unknown type {kind!r} (use {', '.join(TYPES)})"
            )
        rest = kind == "path"
        if rest and index != last:
            raise ConfigError(f"{where}: a path variable must be the last level")
        convert = plain if kind is None else KINDS[kind]
        captures.append((index, found["name"], convert, rest))
        pattern.append("#" if rest else "+")
        untyped.append("{" + found["name"] + "}")
    if len({capture[1] for capture in captures}) != len(captures):
        raise ConfigError(f"{where}: a variable name is used twice")
    joined = "/".join(pattern)
    return Endpoint(text, joined, tuple(captures), joined, "/".join(untyped))


def parse_endpoint(endpoint: Any, where: str | None = None) -> Endpoint:
    """An HTTP or ZeroMQ endpoint: it starts with ``/``; no MQTT wildcards."""
    label = where or repr(endpoint)
    if not isinstance(endpoint, str) or not endpoint.startswith("/"):
        raise ConfigError(f"an endpoint must start with '/': {endpoint!r}")
    # a plain {name} is a non-empty string, as {name:str}
    return _levels(endpoint, label, wildcards=False, plain=KINDS["str"])


def parse_topic(topic: Any, where: str | None = None) -> Endpoint:
    """An MQTT topic pattern: filters' ``+``/``#`` and ``$share/<group>/`` too.
    The broker filter keeps the share prefix; the router's pattern does not."""
    label = where or repr(topic)
    if not isinstance(topic, str) or not topic:
        raise ConfigError(f"an MQTT topic must be a non-empty string: {topic!r}")
    share = ""
    text = topic
    if text.startswith(SHARE_PREFIX):
        group, sep, rest = text[len(SHARE_PREFIX) :].partition("/")
        if not group or not sep or not rest:
            raise ConfigError(f"{label}: use $share/<group>/<filter>")
        share, text = f"{SHARE_PREFIX}{group}/", rest
    # PERF(router-*): a plain {name} level stays the raw string (no call); MQTT's
    # "+" matches an empty level too
    parsed = _levels(text, label, wildcards=True, plain=KINDS["raw"])
    if not share:
        return parsed
    return Endpoint(
        topic,
        parsed.pattern,
        parsed.captures,
        share + parsed.broker_filter,
        share + parsed.topic,
    )
