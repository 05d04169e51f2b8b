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
import uuid as _uuid
from collections.abc import MappingView
from decimal import Decimal
from typing import Any

import orjson

if cython.compiled:
    from cython.cimports.cpython.bytes import (  # type: ignore[import-not-found]
        PyBytes_FromStringAndSize,
    )
    from cython.cimports.cpython.datetime import (  # type: ignore[import-not-found]
        PyDate_Check,
        PyDate_CheckExact,
        PyDateTime_Check,
        PyDateTime_CheckExact,
        PyDateTime_DATE_GET_HOUR,
        PyDateTime_DATE_GET_MICROSECOND,
        PyDateTime_DATE_GET_MINUTE,
        PyDateTime_DATE_GET_SECOND,
        PyDateTime_DELTA_GET_DAYS,
        PyDateTime_DELTA_GET_MICROSECONDS,
        PyDateTime_DELTA_GET_SECONDS,
        PyDateTime_GET_DAY,
        PyDateTime_GET_MONTH,
        PyDateTime_GET_YEAR,
        datetime_tzinfo,
        import_datetime,
    )
    from cython.cimports.cpython.exc import PyErr_Clear  # type: ignore[import-not-found]
    from cython.cimports.envoxy.utils._cjson import (  # type: ignore[import-not-found]
        ENVOXY_FLOAT_MAX,
        envoxy_civil_from_days,
        envoxy_days_from_civil,
        envoxy_decimal_enable,
        envoxy_decimal_probe,
        envoxy_out,
        envoxy_out_data,
        envoxy_out_give_back,
        envoxy_out_size,
        envoxy_out_take,
        envoxy_put_decimal_fields,
        envoxy_put_float,
        envoxy_room,
        envoxy_two_digits,
        envoxy_uuid_into,
        envoxy_walk_value,
        envoxy_wrote,
    )
    from cython.cimports.libc.string import memcpy  # type: ignore[import-not-found]

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
def _ymd_into(
    buf: cython.p_char,
    pos: cython.int,
    year: cython.int,
    month: cython.int,
    day: cython.int,
) -> cython.void:
    """``YYYY-MM-DD`` (10 bytes) at ``pos``: dates and datetimes alike."""
    if cython.compiled:
        pairs: cython.p_const_char = envoxy_two_digits
        memcpy(buf + pos, pairs + 2 * (year // 100), 2)
        memcpy(buf + pos + 2, pairs + 2 * (year % 100), 2)
        buf[pos + 4] = 45  # -
        memcpy(buf + pos + 5, pairs + 2 * month, 2)
        buf[pos + 7] = 45
        memcpy(buf + pos + 8, pairs + 2 * day, 2)


@cython.cfunc
@cython.exceptval(check=False)
def _fields_into(
    buf: cython.p_char,
    pos: cython.int,
    year: cython.int,
    month: cython.int,
    day: cython.int,
    hour: cython.int,
    minute: cython.int,
    second: cython.int,
    millis: cython.int,
) -> cython.void:
    """``YYYY-MM-DDTHH:MM:SS.mmm+0000`` (28 bytes) of UTC fields at ``pos``."""
    if cython.compiled:
        pairs: cython.p_const_char = envoxy_two_digits
        _ymd_into(buf, pos, year, month, day)
        buf[pos + 10] = 84  # T
        memcpy(buf + pos + 11, pairs + 2 * hour, 2)
        buf[pos + 13] = 58  # :
        memcpy(buf + pos + 14, pairs + 2 * minute, 2)
        buf[pos + 16] = 58
        memcpy(buf + pos + 17, pairs + 2 * second, 2)
        buf[pos + 19] = 46  # .
        buf[pos + 20] = 48 + millis // 100
        memcpy(buf + pos + 21, pairs + 2 * (millis % 100), 2)
        memcpy(buf + pos + 23, b"+0000", 5)


@cython.cfunc
@cython.exceptval(check=False)
def _datetime_into(buf: cython.p_char, pos: cython.int, value: Any) -> cython.void:
    """A datetime's own fields (already UTC, or naive) at ``pos``."""
    if cython.compiled:
        _fields_into(
            buf,
            pos,
            PyDateTime_GET_YEAR(value),
            PyDateTime_GET_MONTH(value),
            PyDateTime_GET_DAY(value),
            PyDateTime_DATE_GET_HOUR(value),
            PyDateTime_DATE_GET_MINUTE(value),
            PyDateTime_DATE_GET_SECOND(value),
            PyDateTime_DATE_GET_MICROSECOND(value) // 1000,
        )


@cython.cfunc
@cython.exceptval(check=False)
def _date_into(buf: cython.p_char, pos: cython.int, value: Any) -> cython.void:
    """A date's ``YYYY-MM-DD`` (10 bytes) at ``pos``."""
    if cython.compiled:
        _ymd_into(
            buf,
            pos,
            PyDateTime_GET_YEAR(value),
            PyDateTime_GET_MONTH(value),
            PyDateTime_GET_DAY(value),
        )


@cython.cfunc
def _utc_fields(value: Any) -> Any:
    """Shift an aware datetime to UTC (only when its offset is non-zero)."""
    tz = datetime_tzinfo(value) if cython.compiled else value.tzinfo
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
        _datetime_into(buf, 0, _utc_fields(value))
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


# -- the compiled single pass (PERF(encoder-mixed, encoder-rich)) ------------------
#
# Compiled, ``dumps`` first writes the document itself in one pass: the walk
# over containers and JSON-native values is C (csrc/envoxy_json.h), and calls
# back here only for datetimes, dates, Decimals and UUIDs, which it writes as
# the orjson hook path would. It takes only exact built-in types; anything
# else (a subclass, a set, a bad key, a surrogate, too deep) makes it give
# up, and the orjson path below writes the same document, or raises its
# error. Floats are written as orjson writes them: shortest round-trip digits
# (csrc/envoxy_float.h) in the installed orjson's layout, probed at import
# (``_FLOAT_LAYOUT``); an orjson whose layout is neither known one leaves
# documents with floats to orjson.


class _GiveUp(Exception):
    """The single pass does not take this input: orjson's path does."""


#: ``MAX_DEPTH`` as a C int for the single pass.
_DEPTH_LIMIT = cython.declare(cython.int, MAX_DEPTH)
_Decimal = Decimal
_UUID = _uuid.UUID


@cython.cfunc
@cython.exceptval(-1)
def _put_float(out: cython.p_void, value: cython.double) -> cython.int:
    if cython.compiled:
        if envoxy_put_float(
            cython.cast(cython.pointer(envoxy_out), out), value, _FLOAT_PLUS
        ):
            raise _GiveUp()
    return 0


@cython.cfunc
@cython.exceptval(-1)
def _put_decimal(out: cython.p_void, value: Any) -> cython.int:
    """A Decimal as the float it converts to. Up to 15 significant digits in
    the normal double range, from its own fields (no str(), no float()): the
    float has those very digits; otherwise through ``float()``."""
    if cython.compiled:
        n: cython.Py_ssize_t = 0
        dst: cython.p_char = envoxy_room(out, ENVOXY_FLOAT_MAX)
        if envoxy_put_decimal_fields(dst, cython.address(n), value, _FLOAT_PLUS) == 0:
            envoxy_wrote(out, n)
            return 0
        return _put_float(out, float(value))
    return 0


def _probe_decimal_layout() -> bool:
    """Whether Decimals can be read in place (csrc/envoxy_json.h): known
    values must show their sign, exponent, digit count and word there."""
    if not cython.compiled:
        return False
    size = Decimal.__basicsize__
    known = [
        (Decimal("12345.6789"), 0, -4, 9, 123456789),
        (Decimal("-1E+30"), 1, 30, 1, 1),
        (Decimal("0.000"), 0, -3, 1, 0),
        (Decimal("-9999999999999999999"), 1, 0, 19, 9999999999999999999),
    ]
    return all(
        envoxy_decimal_probe(d, size, negative, exp, digits, word)
        for d, negative, exp, digits, word in known
    )


_DAY_MICROS = cython.declare(cython.longlong, 86_400_000_000)
_TIMEZONE = _dt.timezone
# The offset of the last fixed-offset ``datetime.timezone`` seen: a document's
# aware datetimes mostly share one, and asking ``utcoffset()`` costs ~200 ns.
_last_timezone = cython.declare(object, None)
_last_shift = cython.declare(cython.longlong, 0)


@cython.cfunc
@cython.exceptval(-1, check=True)
def _utc_shift(tz: Any, value: Any) -> cython.longlong:
    """``value.utcoffset()`` in microseconds (0 when None)."""
    global _last_timezone, _last_shift
    if cython.compiled:
        if tz is _last_timezone:
            return _last_shift
        offset = value.utcoffset()
        if offset is None:
            return 0
        shift: cython.longlong = (
            PyDateTime_DELTA_GET_DAYS(offset) * cython.cast(cython.longlong, 86400)
            + PyDateTime_DELTA_GET_SECONDS(offset)
        ) * 1000000 + PyDateTime_DELTA_GET_MICROSECONDS(offset)
        if type(tz) is _TIMEZONE:  # fixed offset, immutable: safe to remember
            _last_timezone = tz
            _last_shift = shift
        return shift
    return 0


@cython.cfunc
@cython.exceptval(-1)
def _put_datetime(out: cython.p_void, value: Any) -> cython.int:
    """A datetime in UTC. An offset is applied to its fields in C (no new
    datetime object); a shift out of years 1-9999 gives up, so that orjson's
    path raises the OverflowError ``value - offset`` raises."""
    if cython.compiled:
        buf: cython.p_char = envoxy_room(out, 30)
        buf[0] = 34
        buf[29] = 34
        tz = datetime_tzinfo(value)
        shift: cython.longlong = (
            0 if tz is None or tz is _UTC else _utc_shift(tz, value)
        )
        if shift == 0:  # naive, UTC, or a zero offset: its own fields
            _datetime_into(buf, 1, value)
            envoxy_wrote(out, 30)
            return 0
        days: cython.longlong = envoxy_days_from_civil(
            PyDateTime_GET_YEAR(value),
            PyDateTime_GET_MONTH(value),
            PyDateTime_GET_DAY(value),
        )
        t: cython.longlong = (
            (
                days * 86400
                + PyDateTime_DATE_GET_HOUR(value) * 3600
                + PyDateTime_DATE_GET_MINUTE(value) * 60
                + PyDateTime_DATE_GET_SECOND(value)
            )
            * 1000000
            + PyDateTime_DATE_GET_MICROSECOND(value)
            - shift
        )
        days = t // _DAY_MICROS  # t > 0: day 0 is 0000-03-01
        t -= days * _DAY_MICROS
        year = cython.declare(cython.int, 0)
        month = cython.declare(cython.int, 0)
        day = cython.declare(cython.int, 0)
        envoxy_civil_from_days(
            days, cython.address(year), cython.address(month), cython.address(day)
        )
        if year < 1 or year > 9999:
            raise _GiveUp()
        seconds: cython.int = t // 1_000_000
        _fields_into(
            buf,
            1,
            year,
            month,
            day,
            seconds // 3600,
            seconds // 60 % 60,
            seconds % 60,
            t % 1_000_000 // 1000,
        )
        envoxy_wrote(out, 30)
    return 0


@cython.cfunc
@cython.exceptval(-1)
def _put_date(out: cython.p_void, value: Any) -> cython.int:
    if cython.compiled:
        buf: cython.p_char = envoxy_room(out, 12)
        buf[0] = 34
        _date_into(buf, 1, value)
        buf[11] = 34
        envoxy_wrote(out, 12)
    return 0


@cython.cfunc
@cython.exceptval(-1)
def _put_uuid(out: cython.p_void, value: Any) -> cython.int:
    if cython.compiled:
        dst: cython.p_char = envoxy_room(out, 38)
        dst[0] = 34
        envoxy_uuid_into(value.int, dst + 1)
        dst[37] = 34
        envoxy_wrote(out, 38)
    return 0


@cython.cfunc
@cython.exceptval(-1)
def _put_other(out: cython.p_void, obj: Any) -> cython.int:
    """What the C walk does not write itself; 1: not taken."""
    if cython.compiled:
        if PyDateTime_CheckExact(obj):
            return _put_datetime(out, obj)
        if PyDate_CheckExact(obj):
            return _put_date(out, obj)
        kind = type(obj)
        if kind is _Decimal:
            return _put_decimal(out, obj)
        if kind is _UUID:
            return _put_uuid(out, obj)
    return 1


@cython.cfunc
def _single_pass(obj: Any) -> Any:
    """The document as bytes, or ``None``: orjson's path writes it."""
    if cython.compiled:
        out: cython.p_void = envoxy_out_take()
        if out == cython.NULL:
            PyErr_Clear()
            return None
        written = None
        if envoxy_walk_value(out, obj, _FLOAT_PLUS, _DEPTH_LIMIT, _put_other) == 0:
            written = PyBytes_FromStringAndSize(
                envoxy_out_data(out), envoxy_out_size(out)
            )
        else:
            PyErr_Clear()  # _GiveUp, or anything orjson's path must judge itself
        envoxy_out_give_back(out)
        return written
    return None


def _probe_float_layout() -> int:
    """How the installed orjson lays out floats: 1 (``1e16``), 2 (``1e+16``),
    or 0 (neither: floats are left to orjson). Both known layouts write
    ``1e-05`` as ``0.00001``, ``1.5e-06`` as ``1.5e-6`` and positional
    notation up to 16 integer digits; the probes include each boundary."""
    probes = [
        1e16, 1.5e-06, 1e-05, -1.5e-05, 0.0001, 123.5, 1e300, 5e-324, 2.0,
        1e15, 9999999999999998.0, 1.2345e-05, 1.2345e-06, -0.0, 0.1,
        1.7976931348623157e308, 123456789012345680.0,
    ]  # fmt: skip
    for layout, plus in ((2, b"+"), (1, b"")):
        expected = [
            b"1e" + plus + b"16",
            b"1.5e-6",
            b"0.00001",
            b"-0.000015",
            b"0.0001",
            b"123.5",
            b"1e" + plus + b"300",
            b"5e-324",
            b"2.0",
            b"1000000000000000.0",
            b"9999999999999998.0",
            b"0.000012345",
            b"1.2345e-6",
            b"-0.0",
            b"0.1",
            b"1.7976931348623157e" + plus + b"308",
            b"1.2345678901234568e" + plus + b"17",
        ]
        if [_orjson_dumps(p) for p in probes] == expected:
            return layout
    return 0


_FLOAT_LAYOUT = cython.declare(cython.int, _probe_float_layout())
if cython.compiled:
    envoxy_decimal_enable(_probe_decimal_layout())
#: the walk's ``plus``: 1 writes ``1e+16``, 0 ``1e16``, -1 leaves floats to orjson
_FLOAT_PLUS = cython.declare(
    cython.int, 1 if _FLOAT_LAYOUT == 2 else 0 if _FLOAT_LAYOUT == 1 else -1
)


@cython.annotation_typing(False)
def dumps(obj: Any) -> bytes:
    """Encode ``obj`` to compact UTF-8 JSON bytes."""
    if cython.compiled:
        # PERF(encoder-mixed, encoder-bigint): one compiled pass writes the
        # document, datetimes, Decimals, UUIDs and big ints included, with no
        # call back into Python per value; what it does not take (a subclass,
        # a set, a bad key, a surrogate, too deep) goes the orjson way below.
        written = _single_pass(obj)
        if written is not None:
            return written  # type: ignore[no-any-return]
    try:
        return _orjson_dumps(obj, encode_default, _OPTION)
    except TypeError as exc:
        # a rare big int or str-subclass key costs a second try with a
        # rewritten copy; the common case pays nothing for them.
        if str(exc) not in _RETRYABLE:
            raise
    return _orjson_dumps(normalize(obj), encode_default, _OPTION)
