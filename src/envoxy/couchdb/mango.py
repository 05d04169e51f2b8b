"""Mango queries from upstream's ``params`` style, without touching the caller's dict.

``{"age__gt": 5, "kind__in": ["a"], "name": "x", "page_size": 10,
"page_start_index": 20, "order_by": "-age"}`` becomes
``{"selector": {"age": {"$gt": 5}, "kind": {"$in": ["a"]}, "name": "x"},
"limit": 10, "skip": 20, "sort": [{"age": "desc"}]}``. Several operators on one
field merge (``age__gt`` + ``age__lt``); a key whose suffix is not an operator
is an equality on the whole key, as upstream.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from envoxy.exceptions import ValidationException

__all__ = ["OPERATORS", "build_query", "build_selector"]

OPERATORS = frozenset(
    {"eq", "gt", "gte", "lt", "lte", "ne", "in", "nin", "exists", "regex"}
)
_LIST_OPERATORS = frozenset({"in", "nin"})
_PAGING = ("page_size", "page_start_index", "order_by")


def _bad(message: str) -> ValidationException:
    return ValidationException(message, code=1202, status=400)


def build_selector(params: Mapping[str, Any]) -> dict[str, Any]:
    selector: dict[str, Any] = {}
    for key, value in params.items():
        if key in _PAGING:
            continue
        if not isinstance(key, str) or not key:
            raise _bad(f"filter names must be non-empty strings, got {key!r}")
        field, sep, op = key.rpartition("__")
        if not sep or op not in OPERATORS or not field:
            selector[key] = value
            continue
        if op in _LIST_OPERATORS and not isinstance(value, (list, tuple)):
            raise _bad(f"{key} needs a list of values")
        if op == "exists" and not isinstance(value, bool):
            raise _bad(f"{key} needs true or false")
        current = selector.get(field)
        condition = {f"${op}": list(value) if op in _LIST_OPERATORS else value}
        if isinstance(current, dict) and all(k.startswith("$") for k in current):
            current.update(condition)
        elif current is not None:
            selector[field] = {"$eq": current, **condition}
        else:
            selector[field] = condition
    return selector


def _number(params: Mapping[str, Any], key: str) -> int | None:
    value = params.get(key)
    if value in (None, "", 0):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _bad(f"{key} must be a whole number, got {value!r}") from None
    if number < 0:
        raise _bad(f"{key} must not be negative")
    return number


def _sort(order_by: Any) -> list[dict[str, str]]:
    fields = (
        order_by if isinstance(order_by, (list, tuple)) else str(order_by).split(",")
    )
    sort = []
    for raw in fields:
        name = str(raw).strip()
        if not name:
            continue
        direction = "desc" if name.startswith("-") else "asc"
        sort.append({name.lstrip("+-"): direction})
    return sort


def build_query(
    params: Mapping[str, Any] | None, fields: list[str] | None = None
) -> dict[str, Any]:
    """The ``_find`` body for ``params`` (``None`` means every document)."""
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise _bad("params must be an object of filters")
    query: dict[str, Any] = {"selector": build_selector(params)}
    limit = _number(params, "page_size")
    if limit is not None:
        query["limit"] = limit
    skip = _number(params, "page_start_index")
    if skip is not None:
        query["skip"] = skip
    if params.get("order_by"):
        query["sort"] = _sort(params["order_by"])
    if fields:
        if not isinstance(fields, (list, tuple)) or not all(
            isinstance(f, str) for f in fields
        ):
            raise _bad("fields must be a list of field names")
        query["fields"] = list(fields)
    return query
