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
    from cython.cimports.cpython.dict import PyDict_Next  # type: ignore[import-not-found]
    from cython.cimports.cpython.float import (  # type: ignore[import-not-found]
        PyFloat_AS_DOUBLE,
    )
    from cython.cimports.cpython.long import (  # type: ignore[import-not-found]
        PyLong_AsLongLongAndOverflow,
        PyLong_AsUnsignedLongLongMask,
    )
    from cython.cimports.cpython.mem import (  # type: ignore[import-not-found]
        PyMem_Free,
        PyMem_Malloc,
        PyMem_Realloc,
    )
    from cython.cimports.cpython.object import PyObject  # type: ignore[import-not-found]
    from cython.cimports.cpython.unicode import (  # type: ignore[import-not-found]
        PyUnicode_AsUTF8AndSize,
    )
    from cython.cimports.envoxy.utils._cjson import (  # type: ignore[import-not-found]
        ENVOXY_FLOAT_MAX,
        envoxy_civil_from_days,
        envoxy_days_from_civil,
        envoxy_escape_into,
        envoxy_two_digits,
        envoxy_utf8,
        envoxy_uuid_into,
        envoxy_write_double,
        envoxy_write_u64,
    )
    from cython.cimports.libc.math import isfinite  # type: ignore[import-not-found]
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
        memcpy(buf + pos, pairs + 2 * (year // 100), 2)
        memcpy(buf + pos + 2, pairs + 2 * (year % 100), 2)
        buf[pos + 4] = 45  # -
        memcpy(buf + pos + 5, pairs + 2 * month, 2)
        buf[pos + 7] = 45
        memcpy(buf + pos + 8, pairs + 2 * day, 2)
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
    """``YYYY-MM-DD`` (10 bytes) at ``pos``."""
    if cython.compiled:
        pairs: cython.p_const_char = envoxy_two_digits
        year: cython.int = PyDateTime_GET_YEAR(value)
        memcpy(buf + pos, pairs + 2 * (year // 100), 2)
        memcpy(buf + pos + 2, pairs + 2 * (year % 100), 2)
        buf[pos + 4] = 45  # -
        memcpy(buf + pos + 5, pairs + 2 * PyDateTime_GET_MONTH(value), 2)
        buf[pos + 7] = 45
        memcpy(buf + pos + 8, pairs + 2 * PyDateTime_GET_DAY(value), 2)


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


# -- the compiled single pass (PERF(encoder-mixed, encoder-bigint)) -----------------
#
# Compiled, when orjson refuses a document for a big int, ``dumps`` writes it
# itself in one pass, datetimes, dates, Decimals, UUIDs and big ints included,
# instead of rewriting a copy for orjson. (As the first try it was slower than
# orjson with the hook on the gate's payloads: floats through dtoa and UUIDs
# through int arithmetic cost more than orjson's own.) It takes only exact
# built-in types; anything else (a
# subclass, a set, a bad key, a surrogate, too deep) makes it give up, and
# the orjson path below writes the same document, or raises its error. Floats
# are written as orjson writes them: Python's shortest repr, laid out by the
# installed orjson's rules, which are probed at import (``_FLOAT_LAYOUT``);
# an orjson whose layout is neither known one leaves floats to orjson.


class _GiveUp(Exception):
    """The single pass does not take this input: orjson's path does."""


#: ``MAX_DEPTH`` as a C int for the single pass.
_DEPTH_LIMIT = cython.declare(cython.int, MAX_DEPTH)
_Decimal = Decimal
_UUID = _uuid.UUID


@cython.final
@cython.cclass
class _Out:
    """A growing C buffer of JSON bytes."""

    buf = cython.declare(cython.p_char)
    size = cython.declare(cython.Py_ssize_t)
    cap = cython.declare(cython.Py_ssize_t)

    def __cinit__(self) -> None:
        if cython.compiled:
            self.cap = 4096
            self.size = 0
            self.buf = cython.cast(cython.p_char, PyMem_Malloc(self.cap))
            if not self.buf:
                raise MemoryError()

    def __dealloc__(self) -> None:
        if cython.compiled:
            PyMem_Free(self.buf)

    # PERF(encoder-mixed): inline and with an explicit error value, so that
    # no call here costs a PyErr_Occurred() check.
    @cython.cfunc
    @cython.inline
    @cython.exceptval(-1)
    def reserve(self, extra: cython.Py_ssize_t) -> cython.int:
        """Make room for ``extra`` more bytes at ``buf + size``."""
        if self.size + extra > self.cap:
            return self.grow(extra)
        return 0

    @cython.cfunc
    @cython.exceptval(-1)
    def grow(self, extra: cython.Py_ssize_t) -> cython.int:
        if cython.compiled:
            cap: cython.Py_ssize_t = self.cap * 2
            while cap < self.size + extra:
                cap *= 2
            grown = cython.cast(cython.p_char, PyMem_Realloc(self.buf, cap))
            if not grown:
                raise MemoryError()
            self.buf, self.cap = grown, cap
        return 0

    @cython.cfunc
    @cython.inline
    @cython.exceptval(-1)
    def put(self, data: cython.p_char, n: cython.Py_ssize_t) -> cython.int:
        if cython.compiled:
            self.reserve(n)
            memcpy(self.buf + self.size, data, n)
            self.size += n
        return 0

    @cython.cfunc
    @cython.inline
    @cython.exceptval(-1)
    def byte(self, c: cython.char) -> cython.int:
        if cython.compiled:
            self.reserve(1)
            self.buf[self.size] = c
            self.size += 1
        return 0


@cython.cfunc
@cython.exceptval(-1)
def _put_str(out: _Out, text: str) -> cython.int:
    """A JSON string, escaped as orjson escapes: quote, backslash and the
    control characters (short forms for \\b \\t \\n \\f \\r), nothing else."""
    if cython.compiled:
        n: cython.Py_ssize_t = 0
        raw: cython.p_const_char = envoxy_utf8(text, cython.address(n))
        out.reserve(n * 6 + 10)
        dst: cython.p_char = out.buf + out.size
        dst[0] = 34
        k: cython.Py_ssize_t = envoxy_escape_into(raw, n, dst + 1)
        dst[k + 1] = 34
        out.size += k + 2
    return 0


@cython.cfunc
@cython.exceptval(-1)
def _put_uint(out: _Out, value: cython.ulonglong, negative: cython.bint) -> cython.int:
    if cython.compiled:
        out.reserve(21)
        dst: cython.p_char = out.buf + out.size
        if negative:
            dst[0] = 45
            out.size += 1 + envoxy_write_u64(value, dst + 1)
        else:
            out.size += envoxy_write_u64(value, dst)
    return 0


@cython.cfunc
@cython.exceptval(-1)
def _put_int(out: _Out, value: Any) -> cython.int:
    """An int: 64-bit values as numbers, bigger ones as decimal strings."""
    if cython.compiled:
        overflow: cython.int = 0
        small: cython.longlong = PyLong_AsLongLongAndOverflow(
            value, cython.address(overflow)
        )
        if overflow == 0:
            if small < 0:
                _put_uint(out, cython.cast(cython.ulonglong, -(small + 1)) + 1, True)
            else:
                _put_uint(out, cython.cast(cython.ulonglong, small), False)
        elif overflow > 0 and value <= UINT64_MAX:
            _put_uint(out, PyLong_AsUnsignedLongLongMask(value), False)
        else:
            _put_str(out, str(value))
    return 0


@cython.cfunc
@cython.exceptval(-1)
def _put_float(out: _Out, value: cython.double) -> cython.int:
    """A float as the installed orjson writes it: its shortest round-trip
    digits (csrc/envoxy_float.h) in orjson's layout (``_FLOAT_LAYOUT``)."""
    if cython.compiled:
        if not isfinite(value):
            out.put(b"null", 4)
            return 0
        if _FLOAT_LAYOUT == 0:
            raise _GiveUp()
        out.reserve(ENVOXY_FLOAT_MAX)
        out.size += envoxy_write_double(value, out.buf + out.size, _FLOAT_LAYOUT == 2)
    return 0


@cython.cfunc
@cython.exceptval(-1)
def _put_decimal(out: _Out, value: Any) -> cython.int:
    """A Decimal as the float it converts to. Its own digits when they are
    those of that float (at most 15 significant digits round-trip, no
    exponent, 1e-5 <= |x| < 1e16): no float conversion."""
    if cython.compiled:
        text: str = str(value)
        n: cython.Py_ssize_t = 0
        t: cython.p_char = cython.cast(
            cython.p_char, PyUnicode_AsUTF8AndSize(text, cython.address(n))
        )
        i: cython.Py_ssize_t = 0
        negative: cython.bint = n > 0 and t[0] == 45  # -
        if negative:
            i = 1
        int_start: cython.Py_ssize_t = i
        while i < n and 48 <= t[i] <= 57:
            i += 1
        int_end: cython.Py_ssize_t = i
        frac_start: cython.Py_ssize_t = i
        frac_end: cython.Py_ssize_t = i
        if i < n and t[i] == 46:  # .
            frac_start = i + 1
            i += 1
            while i < n and 48 <= t[i] <= 57:
                i += 1
            frac_end = i
        if i != n or int_end == int_start:  # an exponent, NaN, Infinity: as a float
            return _put_float(out, float(value))
        while int_start < int_end - 1 and t[int_start] == 48:
            int_start += 1
        while frac_end > frac_start and t[frac_end - 1] == 48:
            frac_end -= 1
        whole_zero: cython.bint = int_end - int_start == 1 and t[int_start] == 48
        lead: cython.Py_ssize_t = frac_start
        significant: cython.Py_ssize_t
        if whole_zero:
            while lead < frac_end and t[lead] == 48:
                lead += 1
            significant = frac_end - lead
        else:
            significant = (int_end - int_start) + (frac_end - frac_start)
        if (
            significant > 15
            or int_end - int_start > 16
            or (whole_zero and lead < frac_end and lead - frac_start >= 5)
        ):
            return _put_float(out, float(value))
        out.reserve(n + 3)
        dst: cython.p_char = out.buf + out.size
        k: cython.Py_ssize_t = 0
        if negative:
            dst[0] = 45
            k = 1
        memcpy(dst + k, t + int_start, int_end - int_start)
        k += int_end - int_start
        dst[k] = 46
        k += 1
        if frac_end == frac_start:
            dst[k] = 48
            k += 1
        else:
            memcpy(dst + k, t + frac_start, frac_end - frac_start)
            k += frac_end - frac_start
        out.size += k
    return 0


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
def _put_datetime(out: _Out, value: Any) -> cython.int:
    """A datetime in UTC. An offset is applied to its fields in C (no new
    datetime object); a shift out of years 1-9999 gives up, so that orjson's
    path raises the OverflowError ``value - offset`` raises."""
    if cython.compiled:
        out.reserve(30)
        buf: cython.p_char = out.buf + out.size
        buf[0] = 34
        buf[29] = 34
        tz = datetime_tzinfo(value)
        if tz is None or tz is _UTC:
            _datetime_into(buf, 1, value)
            out.size += 30
            return 0
        shift: cython.longlong = _utc_shift(tz, value)
        if shift == 0:
            _datetime_into(buf, 1, value)
            out.size += 30
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
        out.size += 30
    return 0


@cython.cfunc
@cython.exceptval(-1)
def _put_date(out: _Out, value: Any) -> cython.int:
    if cython.compiled:
        buf = cython.declare(cython.char[12])
        buf[0] = 34
        _date_into(buf, 1, value)
        buf[11] = 34
        out.put(buf, 12)
    return 0


@cython.cfunc
@cython.exceptval(-1)
def _put_uuid(out: _Out, value: Any) -> cython.int:
    if cython.compiled:
        out.reserve(38)
        dst: cython.p_char = out.buf + out.size
        dst[0] = 34
        envoxy_uuid_into(value.int, dst + 1)
        dst[37] = 34
        out.size += 38
    return 0


@cython.cfunc
@cython.exceptval(-1)
def _put_dict(out: _Out, obj: dict, depth: cython.int) -> cython.int:
    if cython.compiled:
        if depth >= _DEPTH_LIMIT:  # orjson takes 254 nested containers, not 255
            raise _GiveUp()
        out.byte(123)
        pos: cython.Py_ssize_t = 0
        key_ptr = cython.declare(cython.pointer(PyObject))
        value_ptr = cython.declare(cython.pointer(PyObject))
        first: cython.bint = True
        while PyDict_Next(
            obj,
            cython.address(pos),
            cython.address(key_ptr),
            cython.address(value_ptr),
        ):
            key = cython.cast(object, key_ptr)
            item = cython.cast(object, value_ptr)
            if type(key) is not str:
                raise _GiveUp()
            if not first:
                out.byte(44)
            first = False
            _put_str(out, key)
            out.byte(58)
            if type(item) is str:
                _put_str(out, item)
            else:
                _write(out, item, depth + 1)
        out.byte(125)
    return 0


@cython.cfunc
@cython.exceptval(-1)
@cython.wraparound(False)
def _put_list(out: _Out, obj: list, depth: cython.int) -> cython.int:
    # Owned references and a bounds-checked index: a tzinfo's utcoffset()
    # (Python code) may change the containers being written.
    if cython.compiled:
        if depth >= _DEPTH_LIMIT:
            raise _GiveUp()
        out.byte(91)
        i: cython.Py_ssize_t
        for i in range(len(obj)):
            if i:
                out.byte(44)
            item = obj[i]
            if type(item) is str:
                _put_str(out, item)
            else:
                _write(out, item, depth + 1)
        out.byte(93)
    return 0


@cython.cfunc
@cython.exceptval(-1)
def _write(out: _Out, obj: Any, depth: cython.int) -> cython.int:
    if cython.compiled:
        kind = type(obj)
        if kind is str:
            return _put_str(out, obj)
        if kind is dict:
            return _put_dict(out, obj, depth)
        if kind is list:
            return _put_list(out, obj, depth)
        if kind is tuple:
            return _put_list(out, list(obj), depth)
        if obj is None:
            return out.put(b"null", 4)
        if obj is True:
            return out.put(b"true", 4)
        if obj is False:
            return out.put(b"false", 5)
        if kind is int:
            return _put_int(out, obj)
        if kind is float:
            return _put_float(out, PyFloat_AS_DOUBLE(obj))
        if PyDateTime_CheckExact(obj):
            return _put_datetime(out, obj)
        if PyDate_CheckExact(obj):
            return _put_date(out, obj)
        if kind is _Decimal:
            return _put_decimal(out, obj)
        if kind is _UUID:
            return _put_uuid(out, obj)
        raise _GiveUp()
    return 0


#: The buffer of the last single pass, kept for the next (up to this size):
#: a page of records then costs no malloc and no regrowth. Taken out while
#: in use, so a call re-entered from a tzinfo's Python code gets its own.
_SPARE_LIMIT = cython.declare(cython.Py_ssize_t, 1 << 20)
_spare = cython.declare(object, None)


@cython.cfunc
def _single_pass(obj: Any) -> Any:
    """The document as bytes, or ``None``: orjson's path writes it."""
    global _spare
    if cython.compiled:
        out: _Out
        if _spare is None:
            out = _Out()
        else:
            out = _spare
            _spare = None
            out.size = 0
        try:
            _write(out, obj, 0)
        except Exception:  # _GiveUp, or anything orjson's path must judge itself
            return None
        finally:
            if out.cap <= _SPARE_LIMIT:
                _spare = out
        return PyBytes_FromStringAndSize(out.buf, out.size)
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
