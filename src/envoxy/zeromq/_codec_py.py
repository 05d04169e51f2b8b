"""The Zapata envelope codec: request and reply frames, byte-compatible.

Reference implementation, also compiled from this very file as
``envoxy.zeromq._codec_c`` (Cython pure mode). Compiled, the ``Date`` header
and the uuid4 ``X-Cid`` are written into C buffers (the clock read with
``clock_gettime``, the date prefix cached per second, uuid4 bytes drawn from a
buffered ``os.urandom``); uncompiled, the same values come from plain Python.
tests/speedups checks both builds against checked-in golden frames.

Request body (compact JSON, keys in this order)::

    {"resource":..., "headers":{...}, "params":..., "payload":..., "performative":n}

with headers ``Accept, Accept-Charset, Date, User-Agent, X-Cid`` then the
caller's, merged like ``dict.update`` (a caller key keeps its default's place).
"""

from __future__ import annotations

try:
    import cython
except ModuleNotFoundError:  # pure install without Cython: same module, uncompiled
    from envoxy import _cython_shim as cython  # type: ignore[no-redef]

import os
import time
from typing import Any

import orjson

from envoxy.constants import SERVER_NAME, Performative
from envoxy.utils.encoders import envoxy_json_dumps
from envoxy.zeromq.errors import ZapataEncodeError, ZapataError

if cython.compiled:
    from cython.cimports.posix.time import (  # type: ignore[import-not-found]
        CLOCK_REALTIME,
        clock_gettime,
        timespec,
    )

__all__ = [
    "USER_AGENT",
    "decode_reply",
    "decode_request",
    "encode_reply",
    "encode_request",
    "format_cid",
    "format_date",
    "generate_headers",
    "new_cid",
    "now_date",
    "request_envelope",
]

USER_AGENT = SERVER_NAME
_loads = orjson.loads  # strict JSON, what envoxy_json_loads is
REPLY_PERFORMATIVE = int(Performative.REPLY)
_MAX_PERFORMATIVE = int(max(Performative))

# uuid4 bytes come from os.urandom in blocks (compiled build only).
_RANDOM_BLOCK = cython.declare(cython.Py_ssize_t, 4096)
_random: bytes = b""
_random_at = cython.declare(cython.Py_ssize_t, 0)

# The date text up to the seconds, kept while the second does not change.
_date_second = cython.declare(cython.longlong, -1)
_date_prefix: bytes = b""


def _forget_random() -> None:
    """A forked child must not reuse its parent's unread random bytes."""
    global _random, _random_at
    _random = b""
    _random_at = 0


os.register_at_fork(after_in_child=_forget_random)


@cython.annotation_typing(False)
def format_cid(raw: bytes) -> str:
    """16 random bytes -> the lowercase hyphenated uuid4 text (version and
    variant bits set, as ``str(uuid.uuid4())`` gives)."""
    if not isinstance(raw, bytes) or len(raw) != 16:
        raise ValueError("format_cid needs exactly 16 bytes")
    return _cid_from(raw, 0)


@cython.cfunc
def _cid_from(raw: bytes, at: cython.Py_ssize_t) -> str:
    if cython.compiled:
        out = cython.declare(cython.char[36])
        hexdigits = cython.declare(cython.p_char, b"0123456789abcdef")
        src = cython.declare(cython.p_uchar, cython.cast(cython.p_uchar, raw))
        i: cython.Py_ssize_t
        j: cython.Py_ssize_t = 0
        b: cython.uchar
        for i in range(16):
            b = src[at + i]
            if i == 6:
                b = (b & 0x0F) | 0x40
            elif i == 8:
                b = (b & 0x3F) | 0x80
            if i == 4 or i == 6 or i == 8 or i == 10:
                out[j] = 45  # "-"
                j += 1
            out[j] = hexdigits[b >> 4]
            out[j + 1] = hexdigits[b & 0x0F]
            j += 2
        return out[:36].decode("ascii")
    else:
        value = bytearray(raw[at : at + 16])
        value[6] = (value[6] & 0x0F) | 0x40
        value[8] = (value[8] & 0x3F) | 0x80
        text = value.hex()
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def new_cid() -> str:
    """A fresh uuid4 text from the OS CSPRNG (the ``X-Cid`` of a request)."""
    global _random, _random_at
    if cython.compiled:
        if _random_at + 16 > len(_random):
            _random = os.urandom(_RANDOM_BLOCK)
            _random_at = 0
        at: cython.Py_ssize_t = _random_at
        _random_at = at + 16  # claimed before anything can switch threads
        return _cid_from(_random, at)
    else:
        return _cid_from(os.urandom(16), 0)


@cython.cfunc
def _civil(days: cython.longlong) -> tuple:
    """Days since 1970-01-01 -> (year, month, day), proleptic Gregorian."""
    z: cython.longlong = days + 719468
    era: cython.longlong = (z if z >= 0 else z - 146096) // 146097
    doe: cython.longlong = z - era * 146097
    yoe: cython.longlong = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy: cython.longlong = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp: cython.longlong = (5 * doy + 2) // 153
    day: cython.longlong = doy - (153 * mp + 2) // 5 + 1
    month: cython.longlong = mp + 3 if mp < 10 else mp - 9
    year: cython.longlong = yoe + era * 400 + (1 if month <= 2 else 0)
    return year, month, day


@cython.cfunc
def _second_prefix(second: cython.longlong) -> bytes:
    """``YYYY-MM-DDTHH:MM:SS.`` for a Unix second."""
    days: cython.longlong = second // 86400
    rest: cython.longlong = second - days * 86400
    year, month, day = _civil(days)
    hour: cython.longlong = rest // 3600
    minute: cython.longlong = (rest // 60) % 60
    sec: cython.longlong = rest % 60
    return (
        f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{sec:02d}."
    ).encode("ascii")


@cython.annotation_typing(False)
def format_date(epoch_ms: int) -> str:
    """Milliseconds since the epoch -> ``YYYY-MM-DDTHH:MM:SS.mmm+0000`` (UTC,
    milliseconds truncated, the ``Date`` header upstream sends)."""
    if not isinstance(epoch_ms, int) or not 0 <= epoch_ms < 253402300800000:
        raise ValueError("format_date needs milliseconds within years 1970-9999")
    return _date_text(epoch_ms // 1000, epoch_ms % 1000)


@cython.cfunc
def _date_text(second: cython.longlong, millis: cython.int) -> str:
    global _date_second, _date_prefix
    if second != _date_second:
        _date_prefix = _second_prefix(second)
        _date_second = second
    if cython.compiled:
        out = cython.declare(cython.char[28])
        held: bytes = _date_prefix  # a local reference keeps the buffer alive
        prefix = cython.declare(cython.p_char, held)
        i: cython.Py_ssize_t
        for i in range(20):
            out[i] = prefix[i]
        out[20] = 48 + millis // 100
        out[21] = 48 + (millis // 10) % 10
        out[22] = 48 + millis % 10
        out[23] = 43  # "+0000"
        out[24] = 48
        out[25] = 48
        out[26] = 48
        out[27] = 48
        return out[:28].decode("ascii")
    else:
        return f"{_date_prefix.decode('ascii')}{millis:03d}+0000"


def now_date() -> str:
    """The current UTC time as a Zapata ``Date`` header."""
    if cython.compiled:
        now = cython.declare(timespec)
        clock_gettime(CLOCK_REALTIME, cython.address(now))
        return _date_text(now.tv_sec, now.tv_nsec // 1000000)
    else:
        ms = time.time_ns() // 1_000_000
        return _date_text(ms // 1000, ms % 1000)


@cython.annotation_typing(False)
def generate_headers(client_id: Any = None, *, date: Any = None) -> dict:
    """``Accept, Accept-Charset, Date, User-Agent, X-Cid`` in that order;
    ``X-Cid`` is ``client_id`` when given, else a fresh uuid4; ``Date`` is now
    unless ``date`` (a replayed request's header) is given."""
    return {
        "Accept": "application/json",
        "Accept-Charset": "utf-8",
        "Date": date if date is not None else now_date(),
        "User-Agent": USER_AGENT,
        "X-Cid": client_id or new_cid(),
    }


@cython.annotation_typing(False)
def request_envelope(
    resource: Any,
    performative: Any,
    params: Any = None,
    payload: Any = None,
    headers: Any = None,
    client_id: Any = None,
    date: Any = None,
) -> dict:
    """The request dict in wire order; ``headers`` (a mapping or pairs) is
    merged over the generated ones like upstream's ``dict.update``."""
    merged = generate_headers(client_id, date=date)
    if headers:
        merged.update(dict(headers))
    return {
        "resource": resource,
        "headers": merged,
        "params": params,
        "payload": payload,
        "performative": performative,
    }


@cython.annotation_typing(False)
def encode_request(
    resource: Any,
    performative: Any,
    params: Any = None,
    payload: Any = None,
    headers: Any = None,
    client_id: Any = None,
    date: Any = None,
) -> bytes:
    """The request body bytes; ``ZapataEncodeError`` at once for a value JSON
    cannot carry."""
    return _dumps(
        request_envelope(
            resource, performative, params, payload, headers, client_id, date
        )
    )


@cython.cfunc
def _dumps(message: object) -> bytes:
    try:
        return envoxy_json_dumps(message)  # type: ignore[no-any-return]
    except (TypeError, ValueError) as exc:
        raise ZapataEncodeError(f"cannot serialize the Zapata message: {exc}") from exc


@cython.cfunc
def _load_object(body: object, what: str) -> dict:
    if type(body) is not bytes and not isinstance(
        body, (bytes, bytearray, memoryview, str)
    ):
        raise ZapataError(f"a Zapata {what} must be bytes, got {type(body).__name__}")
    try:
        message = _loads(body)
    except ValueError as exc:  # orjson.JSONDecodeError is a ValueError
        raise ZapataError(f"a Zapata {what} is not valid JSON: {exc}") from None
    if type(message) is not dict:
        raise ZapataError(
            f"a Zapata {what} must be a JSON object, got {type(message).__name__}"
        )
    return message  # type: ignore[no-any-return]


@cython.annotation_typing(False)
def decode_reply(body: Any) -> dict:
    """A reply body -> its dict without ``headers.X-Cid``, ``protocol`` and
    ``performative`` (what upstream's client returns); ``ZapataError`` when the
    body is not a JSON object."""
    reply: dict = _load_object(body, "reply")
    headers = reply.get("headers")
    if type(headers) is dict:
        headers.pop("X-Cid", None)
    reply.pop("protocol", None)
    reply.pop("performative", None)
    return reply


@cython.annotation_typing(False)
def decode_request(body: Any) -> dict:
    """A request body -> its dict, checked: ``resource`` a str, ``performative``
    an int 0-11, ``headers`` an object (``{}`` when absent); ``ZapataError``
    otherwise."""
    request: dict = _load_object(body, "request")
    resource = request.get("resource")
    if type(resource) is not str:
        raise ZapataError("a Zapata request needs a string 'resource'")
    performative = request.get("performative")
    if type(performative) is not int or not 0 <= performative <= _MAX_PERFORMATIVE:
        raise ZapataError("a Zapata request needs an integer 'performative' (0-11)")
    headers = request.get("headers")
    if headers is None:
        request["headers"] = {}
    elif type(headers) is not dict:
        raise ZapataError("the 'headers' of a Zapata request must be an object")
    return request


@cython.annotation_typing(False)
def encode_reply(
    resource: Any, status: Any, payload: Any = None, headers: Any = None
) -> bytes:
    """A reply body: ``{"resource","status","headers","payload","performative":7}``
    (``headers`` as given, e.g. echoing the request's ``X-Cid``)."""
    return _dumps(
        {
            "resource": resource,
            "status": status,
            "headers": headers if headers is not None else {},
            "payload": payload,
            "performative": REPLY_PERFORMATIVE,
        }
    )
