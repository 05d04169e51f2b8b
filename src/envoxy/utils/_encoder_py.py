"""JSON encoding hot path: orjson plus envoxy's type rules.

Reference implementation, also compiled from this very file as
``envoxy.utils._encoder_c`` (Cython pure mode). Both builds must give the same
bytes or the same exception type for every input (tests/speedups).

Type rules (docs/COMPATIBILITY.md): datetimes as UTC
``YYYY-MM-DDTHH:MM:SS.mmm+0000`` (naive taken as UTC, milliseconds truncated),
dates as ``YYYY-MM-DD``, Decimal as a number, UUID as its string, sets and dict
views as lists, str-subclass keys as strings, ints outside [-2**63, 2**64-1] as
decimal strings; anything else is a TypeError naming the type.
"""

from __future__ import annotations

try:
    import cython
except ModuleNotFoundError:  # pure install without Cython: same module, uncompiled
    from envoxy import _cython_shim as cython  # type: ignore[no-redef]

import datetime as _dt
from collections.abc import MappingView
from decimal import Decimal
from typing import Any

import orjson

if cython.compiled:
    from cython.cimports.cpython.datetime import (  # type: ignore[import-not-found]
        PyDate_Check,
        PyDateTime_Check,
        PyDateTime_DATE_GET_HOUR,
        PyDateTime_DATE_GET_MICROSECOND,
        PyDateTime_DATE_GET_MINUTE,
        PyDateTime_DATE_GET_SECOND,
        PyDateTime_GET_DAY,
        PyDateTime_GET_MONTH,
        PyDateTime_GET_YEAR,
        datetime_tzinfo,
        import_datetime,
    )

    import_datetime()

__all__ = [
    "MAX_DEPTH",
    "dumps",
    "encode_default",
    "format_date",
    "format_datetime",
    "loads",
    "normalize",
]

INT64_MIN = -(2**63)
UINT64_MAX = 2**64 - 1
#: orjson refuses deeper nesting; the big-int rewrite stops at the same depth.
MAX_DEPTH = 254

_UTC = _dt.UTC
_OPTION = orjson.OPT_PASSTHROUGH_DATETIME
_orjson_dumps = orjson.dumps
# orjson refusals that a rewritten copy of the input avoids (see ``normalize``).
_RETRYABLE = frozenset({"Integer exceeds 64-bit range", "Dict key must be str"})

loads = orjson.loads


@cython.cfunc
@cython.inline
@cython.exceptval(check=False)
def _digits_into(
    buf: cython.p_char, pos: cython.int, value: cython.int, width: cython.int
) -> cython.void:
    # PERF(encoder-mixed): fixed-width decimal digits written straight into a C buffer.
    i: cython.int
    for i in range(width - 1, -1, -1):
        buf[pos + i] = 48 + value % 10
        value = value // 10


@cython.cfunc
def _utc_fields(value: Any) -> Any:
    """Shift an aware datetime to UTC (only when its offset is non-zero)."""
    tz = value.tzinfo
    if tz is None or tz is _UTC:
        return value
    offset = value.utcoffset()
    if offset:
        return value - offset
    return value


@cython.annotation_typing(False)
def format_datetime(value: _dt.datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmm+0000`` in UTC; naive values are taken as UTC."""
    return _format_datetime(value)


@cython.cfunc
def _format_datetime(value: Any) -> str:
    if cython.compiled:
        buf = cython.declare(cython.char[29])
        tz = datetime_tzinfo(value)
        if tz is not None and tz is not _UTC:
            value = _utc_fields(value)
        _digits_into(buf, 0, PyDateTime_GET_YEAR(value), 4)
        buf[4] = 45  # -
        _digits_into(buf, 5, PyDateTime_GET_MONTH(value), 2)
        buf[7] = 45
        _digits_into(buf, 8, PyDateTime_GET_DAY(value), 2)
        buf[10] = 84  # T
        _digits_into(buf, 11, PyDateTime_DATE_GET_HOUR(value), 2)
        buf[13] = 58  # :
        _digits_into(buf, 14, PyDateTime_DATE_GET_MINUTE(value), 2)
        buf[16] = 58
        _digits_into(buf, 17, PyDateTime_DATE_GET_SECOND(value), 2)
        buf[19] = 46  # .
        _digits_into(buf, 20, PyDateTime_DATE_GET_MICROSECOND(value) // 1000, 3)
        buf[23] = 43  # +
        buf[24] = 48
        buf[25] = 48
        buf[26] = 48
        buf[27] = 48
        return buf[:28].decode("ascii")
    else:
        value = _utc_fields(value)
        return "%04d-%02d-%02dT%02d:%02d:%02d.%03d+0000" % (
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond // 1000,
        )


@cython.annotation_typing(False)
def format_date(value: _dt.date) -> str:
    """``YYYY-MM-DD``."""
    return "%04d-%02d-%02d" % (value.year, value.month, value.day)


@cython.annotation_typing(False)
def encode_default(obj: Any) -> Any:
    """orjson ``default`` hook: the types orjson does not encode itself."""
    if cython.compiled:
        if PyDateTime_Check(obj):
            return _format_datetime(obj)
        if type(obj) is Decimal:
            return float(obj)
        if PyDate_Check(obj):
            return format_date(obj)
    else:
        if isinstance(obj, _dt.datetime):
            return _format_datetime(obj)
        if type(obj) is Decimal:
            return float(obj)
        if isinstance(obj, _dt.date):
            return format_date(obj)
    if isinstance(obj, Decimal):
        return float(obj)
    if isinstance(obj, (set, frozenset, MappingView)):
        return list(obj)  # type: ignore[arg-type]
    raise TypeError("Type is not JSON serializable: " + type(obj).__name__)


@cython.cfunc
def _is_big_int(value: Any) -> cython.bint:
    return isinstance(value, int) and (value < INT64_MIN or value > UINT64_MAX)


@cython.annotation_typing(False)
def normalize(obj: Any, depth: int = 0) -> Any:
    """Copy ``obj`` into types orjson takes as they are.

    Ints outside 64 bits become decimal strings, str-subclass keys plain
    strings, sets and dict views lists. Other non-str keys stay a TypeError.
    Bounded by ``MAX_DEPTH``: deeper data is refused as orjson refuses it.
    """
    if depth > MAX_DEPTH:
        raise TypeError("Recursion limit reached")
    if _is_big_int(obj):
        return str(int(obj))
    if isinstance(obj, dict):
        copy = {}
        for key, item in obj.items():
            if type(key) is not str:
                if not isinstance(key, str):
                    raise TypeError("Dict key must be str")
                key = str.__str__(key)
            copy[key] = normalize(item, depth + 1)
        return copy
    if isinstance(obj, (list, tuple, set, frozenset, MappingView)):
        return [normalize(item, depth + 1) for item in obj]  # type: ignore[union-attr]
    return obj


@cython.annotation_typing(False)
def dumps(obj: Any) -> bytes:
    """Encode ``obj`` to compact UTF-8 JSON bytes."""
    try:
        return _orjson_dumps(obj, encode_default, _OPTION)
    except TypeError as exc:
        # PERF(encoder-bigint): a rare big int or str-subclass key costs one
        # rewrite and a retry; the common case pays nothing for them.
        if str(exc) not in _RETRYABLE:
            raise
    return _orjson_dumps(normalize(obj), encode_default, _OPTION)
