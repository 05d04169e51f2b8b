"""A small ordered, case-insensitive header list for responses.

Responses keep their headers as a plain list of ``(name, value)`` pairs, which
is exactly what WSGI's ``start_response`` takes; this class is the friendly
view on that list (``get``, ``getlist``, ``add``, ``set``, ``in``...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, overload

__all__ = ["Headers", "header_line", "header_value"]

#: RFC 9110 5.1: a field name is a token
_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: RFC 9110 5.5: no control characters in a value but horizontal tab
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

HeaderPairs = list[tuple[str, str]]


class Headers:
    """Ordered multi-valued headers; names compare case-insensitively."""

    __slots__ = ("_list",)

    def __init__(
        self, defaults: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None
    ) -> None:
        self._list: HeaderPairs = []
        if defaults is not None:
            self.extend(defaults)

    @classmethod
    def wrap(cls, pairs: HeaderPairs) -> Headers:
        """A view sharing ``pairs`` (changes show in both)."""
        headers = cls.__new__(cls)
        headers._list = pairs
        return headers

    def extend(self, items: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        for name, value in pairs:
            self.add(name, value)

    def add(self, name: str, value: Any) -> None:
        self._list.append(header_line(name, value))

    def set(self, name: str, value: Any) -> None:
        """Replace every ``name`` header by one, keeping the first one's position."""
        lowered = name.lower()
        pairs = self._list
        for index, (key, _) in enumerate(pairs):
            if key.lower() == lowered:
                pairs[index] = header_line(name, value)
                pairs[index + 1 :] = [
                    p for p in pairs[index + 1 :] if p[0].lower() != lowered
                ]
                return
        pairs.append(header_line(name, value))

    def remove(self, name: str) -> None:
        lowered = name.lower()
        self._list[:] = [p for p in self._list if p[0].lower() != lowered]

    @overload
    def get(self, name: str) -> str | None: ...
    @overload
    def get(self, name: str, default: str) -> str: ...
    def get(self, name: str, default: str | None = None) -> str | None:
        lowered = name.lower()
        for key, value in self._list:
            if key.lower() == lowered:
                return value
        return default

    def getlist(self, name: str) -> list[str]:
        lowered = name.lower()
        return [value for key, value in self._list if key.lower() == lowered]

    def items(self) -> list[tuple[str, str]]:
        return list(self._list)

    def keys(self) -> list[str]:
        return [key for key, _ in self._list]

    def to_wsgi_list(self) -> HeaderPairs:
        return self._list

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __setitem__(self, name: str, value: Any) -> None:
        self.set(name, value)

    def __delitem__(self, name: str) -> None:
        self.remove(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(list(self._list))

    def __len__(self) -> int:
        return len(self._list)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self._list == other._list
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Headers({self._list!r})"


def header_line(name: Any, value: Any) -> tuple[str, str]:
    """``(name, value)`` fit to be sent: ``ValueError`` for a name that is not
    a token or a value holding CR, LF, NUL or another control character
    (either would let a value write headers, or a body, of its own)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"invalid header name: {name!r}")
    text = value if isinstance(value, str) else str(value)
    if _CONTROL.search(text):
        raise ValueError(f"header {name!r} holds a control character")
    return name, text


def header_value(headers: Any, name: str) -> Any:
    """A request header from Werkzeug's headers (case-insensitive already) or
    from a Zapata request's plain dict (any case); ``None`` when absent. Not
    always a string: a Zapata header is whatever JSON the peer sent."""
    value = headers.get(name)
    if value is None and isinstance(headers, Mapping):
        lowered = name.lower()
        value = next((v for k, v in headers.items() if str(k).lower() == lowered), None)
    return value
