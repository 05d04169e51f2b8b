"""Input validation: ``assertz_*`` raise ``ValidationException``; ``*_reply`` return
an error reply dict instead.

Codes, statuses and messages are upstream envoxy's. The typed checks share one
signature, ``assertz_X(_element, key=None, _error_code=1202, _status_code=412,
reply=False)``: with a ``key`` they check ``_element[key]``; a ``None`` element is
skipped. Deliberate fixes (docs/COMPATIBILITY.md): a missing key or a value of
the wrong type is a validation failure, never a raw KeyError/TypeError; ``0``
and ``0.0`` are valid numbers; ``True`` is not an integer; a datetime under a key
is a valid timestamp; regex checks honour ``reply``. Nothing here walks the stack.
"""

from __future__ import annotations

import datetime as _dt
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from envoxy.constants import (
    EMAIL_REGEX,
    HASH_REGEX,
    PHONE_REGEX,
    TOKEN_REGEX,
    URI_REGEX,
    URL_REGEX,
)
from envoxy.exceptions import ValidationException

__all__ = [
    "DEFAULT_STATUS_CODE",
    "INVALID_TYPE_ERROR_CODE",
    "assertz",
    "assertz_array",
    "assertz_array_even_empty",
    "assertz_array_reply",
    "assertz_ascii",
    "assertz_ascii_reply",
    "assertz_boolean",
    "assertz_boolean_reply",
    "assertz_call",
    "assertz_complex",
    "assertz_complex_reply",
    "assertz_dict",
    "assertz_dict_reply",
    "assertz_email",
    "assertz_email_reply",
    "assertz_float",
    "assertz_float_reply",
    "assertz_hash",
    "assertz_hash_reply",
    "assertz_integer",
    "assertz_integer_reply",
    "assertz_intersects",
    "assertz_intersects_reply",
    "assertz_json",
    "assertz_json_reply",
    "assertz_location",
    "assertz_location_reply",
    "assertz_mandatory",
    "assertz_mandatory_reply",
    "assertz_phone",
    "assertz_phone_reply",
    "assertz_regex",
    "assertz_reply",
    "assertz_string",
    "assertz_string_reply",
    "assertz_timestamp",
    "assertz_timestamp_reply",
    "assertz_token",
    "assertz_token_reply",
    "assertz_unauthorized",
    "assertz_unauthorized_reply",
    "assertz_uri",
    "assertz_uri_reply",
    "assertz_url",
    "assertz_utf8",
    "assertz_utf8_reply",
    "assertz_uuid",
    "assertz_uuid_reply",
    "assertz_valid_values",
    "assertz_valid_values_reply",
]

DEFAULT_STATUS_CODE = 412
INVALID_TYPE_ERROR_CODE = 1202
MANDATORY_ERROR_CODE = 1200
EMPTY_KEY_ERROR_CODE = 1201
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+0000"

_MISSING = object()
_PATTERNS: dict[str, re.Pattern[str]] = {}

Reply = dict[str, Any] | None


# -- core ----------------------------------------------------------------------
def assertz(
    _expression: Any,
    _error_message: Any,
    _error_code: Any = INVALID_TYPE_ERROR_CODE,
    _status_code: Any = DEFAULT_STATUS_CODE,
) -> None:
    """Raise ``ValidationException(_error_message, code=_error_code,
    status=_status_code)`` unless ``_expression`` (upstream's parameter names,
    so keyword callers work)."""
    if not _expression:
        raise ValidationException(_error_message, code=_error_code, status=_status_code)


def assertz_reply(
    _expression: Any,
    _error_message: Any,
    _error_code: Any = INVALID_TYPE_ERROR_CODE,
    _status_code: Any = DEFAULT_STATUS_CODE,
    check: str = "assertz",
) -> Reply:
    """``None`` when ``_expression`` holds, else the error reply a handler can
    return."""
    if _expression:
        return None
    return {
        "status": _status_code,
        "payload": {
            "text": _error_message,
            "code": _error_code,
            "assertion_failed": f"{check} failed",
        },
    }


def assertz_call(
    expr: Any,
    msg: Any,
    code: Any,
    status: Any,
    reply: bool = False,
    check: str = "assertz",
) -> Reply:
    if reply:
        return assertz_reply(expr, msg, code, status, check)
    assertz(expr, msg, code, status)
    return None


def _pick(element: Any, key: Any) -> Any:
    if key is None:
        return element
    try:
        return element[key]
    except (KeyError, IndexError, TypeError):
        return _MISSING


Check = Callable[..., Reply]


def _define(
    name: str,
    passes: Callable[[Any], bool],
    message: str,
    missing_shows_key: bool = False,
    doc: str = "",
) -> Check:
    """A check with the shared typed signature. ``message`` may hold ``{}``: the
    value, or for a missing key the element (the key if ``missing_shows_key``)."""

    def check(
        _element: Any,
        key: Any = None,
        _error_code: Any = INVALID_TYPE_ERROR_CODE,
        _status_code: Any = DEFAULT_STATUS_CODE,
        reply: bool = False,
    ) -> Reply:
        if _element is None:
            return None
        value = _pick(_element, key)
        if value is _MISSING:
            ok, shown = False, key if missing_shows_key else _element
        else:
            ok, shown = passes(value), value
        text = message.format(shown) if "{}" in message else message
        return assertz_call(ok, text, _error_code, _status_code, reply, name)

    check.__name__ = check.__qualname__ = name
    check.__doc__ = doc
    return check


# -- presence ------------------------------------------------------------------
def assertz_mandatory(
    _obj: Any,
    _element: Any = None,
    _error_code: Any = MANDATORY_ERROR_CODE,
    _status_code: Any = DEFAULT_STATUS_CODE,
    reply: bool = False,
) -> Reply:
    """With a key: ``_obj[key]`` exists and is not None (``""``/0/False count). Without:
    ``_obj`` is truthy."""
    check = "assertz_mandatory"
    if _element is None:
        return assertz_call(
            bool(_obj), f"Mandatory: {_obj}", _error_code, _status_code, reply, check
        )
    if _element == "":
        return assertz_call(
            False,
            "Key must not be emtpy",
            EMPTY_KEY_ERROR_CODE,
            _status_code,
            reply,
            check,
        )
    value = (
        _pick(_obj, _element) if isinstance(_obj, (Mapping, list, tuple)) else _MISSING
    )
    return assertz_call(
        value is not _MISSING and value is not None,
        f"Mandatory: {_element}",
        _error_code,
        _status_code,
        reply,
        check,
    )


# -- types ---------------------------------------------------------------------
INVALID_TYPE = "Invalid value type: {}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_timestamp(value: Any) -> bool:
    if isinstance(value, _dt.date):
        return True
    if not isinstance(value, str):
        return False
    try:
        _dt.datetime.strptime(value, TIMESTAMP_FORMAT)
    except ValueError:
        return False
    return True


def _is_truthy_json(value: Any) -> bool:
    if not isinstance(value, (str, bytes)):
        return False
    try:
        return bool(orjson.loads(value))
    except orjson.JSONDecodeError:
        return False


def _is_uuid(value: Any) -> bool:
    if isinstance(value, uuid.UUID):
        return True
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _encodes(encoding: str) -> Callable[[Any], bool]:
    def passes(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            return len(value.encode(encoding)) > 0
        except UnicodeEncodeError:
            return False

    return passes


def _is_location(value: Any) -> bool:
    if isinstance(value, list):
        return len(value) == 2 and all(_is_number(v) for v in value)
    if isinstance(value, dict):
        return _is_number(value.get("latitude")) and _is_number(value.get("longitude"))
    return False


assertz_string = _define("assertz_string", lambda v: isinstance(v, str), INVALID_TYPE)
assertz_integer = _define(
    "assertz_integer", _is_int, INVALID_TYPE, doc="An int (0 included, bools not)."
)
assertz_float = _define("assertz_float", lambda v: isinstance(v, float), INVALID_TYPE)
assertz_boolean = _define(
    "assertz_boolean", lambda v: isinstance(v, bool), INVALID_TYPE
)
assertz_timestamp = _define(
    "assertz_timestamp",
    _is_timestamp,
    INVALID_TYPE,
    doc="A date/datetime, or a string in ``YYYY-MM-DDTHH:MM:SS.ffffff+0000`` form.",
)
assertz_array = _define(
    "assertz_array",
    lambda v: isinstance(v, list) and bool(v),
    INVALID_TYPE,
    missing_shows_key=True,
    doc="A non-empty list.",
)
assertz_array_even_empty = _define(
    "assertz_array_even_empty",
    lambda v: isinstance(v, list),
    INVALID_TYPE,
    missing_shows_key=True,
    doc="A list, possibly empty.",
)
assertz_dict = _define(
    "assertz_dict",
    lambda v: isinstance(v, dict) and bool(v),
    INVALID_TYPE,
    missing_shows_key=True,
    doc="A non-empty dict.",
)
assertz_json = _define(
    "assertz_json",
    _is_truthy_json,
    INVALID_TYPE,
    doc="JSON text with a truthy value: ``'{}'``, ``'[]'``, ``'0'``, ``'null'`` fail.",
)
assertz_uuid = _define("assertz_uuid", _is_uuid, INVALID_TYPE)
assertz_utf8 = _define("assertz_utf8", _encodes("utf-8"), "Invalid utf-8 encoding")
assertz_ascii = _define("assertz_ascii", _encodes("ascii"), "Invalid ascii encoding")
assertz_location = _define(
    "assertz_location",
    _is_location,
    "Invalid location",
    doc='``[lat, lon]`` numbers, or ``{"latitude": n, "longitude": n}``.',
)


def assertz_complex(
    _element: Any,
    key: Any = None,
    _error_code: Any = INVALID_TYPE_ERROR_CODE,
    _status_code: Any = DEFAULT_STATUS_CODE,
    reply: bool = False,
) -> Reply:
    """JSON text, a non-empty dict or a non-empty list."""
    if _element is None:
        return None
    failure: Reply = None
    for check in (assertz_json, assertz_dict, assertz_array):
        failure = check(_element, key, _error_code, _status_code, True)
        if failure is None:
            return None
    assert failure is not None  # noqa: S101 - every sub-check failed
    return assertz_call(
        False,
        failure["payload"]["text"],
        _error_code,
        _status_code,
        reply,
        "assertz_complex",
    )


# -- patterns ------------------------------------------------------------------
def _pattern(regex: str) -> re.Pattern[str]:
    compiled = _PATTERNS.get(regex)
    if compiled is None:
        compiled = _PATTERNS[regex] = re.compile(regex)
    return compiled


def assertz_regex(
    regex_expr: str,
    _error_msg: Any,
    _element: Any,
    key: Any = None,
    _error_code: Any = INVALID_TYPE_ERROR_CODE,
    _status_code: Any = DEFAULT_STATUS_CODE,
    reply: bool = False,
    check: str = "assertz_regex",
) -> Reply:
    """The whole string matches ``regex_expr``."""
    if _element is None:
        return None
    value = _pick(_element, key)
    ok = isinstance(value, str) and _pattern(regex_expr).fullmatch(value) is not None
    return assertz_call(ok, _error_msg, _error_code, _status_code, reply, check)


def _regex_check(name: str, regex: str, msg: str) -> Check:
    def passes(value: Any) -> bool:
        return isinstance(value, str) and _pattern(regex).fullmatch(value) is not None

    return _define(name, passes, msg, doc=f"The whole string matches ``{regex}``.")


assertz_hash = _regex_check("assertz_hash", HASH_REGEX, "Invalid hash")
assertz_token = _regex_check("assertz_token", TOKEN_REGEX, "Invalid token")
assertz_uri = _regex_check("assertz_uri", URI_REGEX, "Invalid uri")
assertz_url = _regex_check("assertz_url", URL_REGEX, "Invalid url")
assertz_email = _regex_check("assertz_email", EMAIL_REGEX, "Invalid email")
assertz_phone = _regex_check("assertz_phone", PHONE_REGEX, "Invalid phone")


# -- relations and permissions ---------------------------------------------------
def assertz_intersects(
    x: Any,
    y: Any,
    _error_code: Any = INVALID_TYPE_ERROR_CODE,
    _status_code: Any = DEFAULT_STATUS_CODE,
    reply: bool = False,
) -> Reply:
    try:
        ok = bool(set(x) & set(y))
    except TypeError:
        ok = False
    return assertz_call(
        ok,
        f"No intersection between {x} and {y}",
        _error_code,
        _status_code,
        reply,
        "assertz_intersects",
    )


def assertz_unauthorized(
    _expr: Any,
    _msg: Any,
    _error_code: Any = INVALID_TYPE_ERROR_CODE,
    reply: bool = False,
) -> Reply:
    """Fails with status 401."""
    return assertz_call(_expr, _msg, _error_code, 401, reply, "assertz_unauthorized")


def assertz_valid_values(
    _expr: Any,
    _msg: Any,
    _error_code: Any = INVALID_TYPE_ERROR_CODE,
    _status_code: Any = DEFAULT_STATUS_CODE,
    reply: bool = False,
) -> Reply:
    return assertz_call(
        _expr, _msg, _error_code, _status_code, reply, "assertz_valid_values"
    )


# -- *_reply variants (positional, as upstream) -----------------------------------
def _reply_variant(check: Any) -> Any:
    def variant(_element: Any, key: Any, _error_code: Any, _status_code: Any) -> Reply:
        return check(_element, key, _error_code, _status_code, True)

    variant.__name__ = variant.__qualname__ = f"{check.__name__}_reply"
    variant.__doc__ = (
        f"``{check.__name__}(..., reply=True)``: a reply dict or ``None``."
    )
    return variant


assertz_mandatory_reply = _reply_variant(assertz_mandatory)
assertz_string_reply = _reply_variant(assertz_string)
assertz_integer_reply = _reply_variant(assertz_integer)
assertz_float_reply = _reply_variant(assertz_float)
assertz_timestamp_reply = _reply_variant(assertz_timestamp)
assertz_boolean_reply = _reply_variant(assertz_boolean)
assertz_complex_reply = _reply_variant(assertz_complex)
assertz_dict_reply = _reply_variant(assertz_dict)
assertz_json_reply = _reply_variant(assertz_json)
assertz_array_reply = _reply_variant(assertz_array)
assertz_uuid_reply = _reply_variant(assertz_uuid)
assertz_utf8_reply = _reply_variant(assertz_utf8)
assertz_ascii_reply = _reply_variant(assertz_ascii)
assertz_hash_reply = _reply_variant(assertz_hash)
assertz_token_reply = _reply_variant(assertz_token)
assertz_uri_reply = _reply_variant(assertz_uri)
assertz_email_reply = _reply_variant(assertz_email)
assertz_location_reply = _reply_variant(assertz_location)
assertz_phone_reply = _reply_variant(assertz_phone)
assertz_valid_values_reply = _reply_variant(assertz_valid_values)


def assertz_intersects_reply(
    x: Any, y: Any, _error_code: Any, _status_code: Any
) -> Reply:
    """``assertz_intersects(..., reply=True)``: a reply dict or ``None``."""
    return assertz_intersects(x, y, _error_code, _status_code, True)


def assertz_unauthorized_reply(_expr: Any, _msg: Any, _error_code: Any) -> Reply:
    """``assertz_unauthorized(..., reply=True)``: a reply dict or ``None``."""
    return assertz_unauthorized(_expr, _msg, _error_code, True)
