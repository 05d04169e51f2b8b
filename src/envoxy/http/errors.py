"""Error replies: every failure becomes a JSON answer, never a dead worker.

``ValidationException`` -> its status (412 by default) with
``{"code": n, "error": "<msg> :: ELRC(<ref>)"}`` and ``X-Error: <code>``;
Werkzeug's HTTP errors (a malformed JSON body, a body too large) -> their
status, same shape; anything else -> 500, same shape, the traceback logged
once under the same ``ELRC`` reference the client sees.
"""

from __future__ import annotations

import traceback
import uuid
from typing import Any

from werkzeug.exceptions import HTTPException

from envoxy.exceptions import ValidationException
from envoxy.utils.logs import Log
from envoxy.views.containers import Response, status_number

__all__ = ["error_response", "fit_for_the_wire", "plain_error"]

#: statuses whose responses carry no body (RFC 9110 6.4.1)
_BODILESS = frozenset({204, 304})


def plain_error(
    status: int,
    message: str,
    code: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A JSON error without a traceback (404, 405...)."""
    code = status if code is None else code
    return Response(
        {"code": code, "error": message},
        status=status,
        headers={"X-Error": str(code), **(headers or {})},
    )


def _status(value: Any) -> int:
    status = status_number(value, 500)
    return status if 100 <= status <= 599 else 500


def error_response(exc: BaseException) -> Response:
    """The reply for an exception raised by a view (or while reading its request)."""
    ref = str(uuid.uuid4())
    if isinstance(exc, ValidationException):
        status, code = _status(exc.status), exc.code
    elif isinstance(exc, HTTPException):
        status, code = _status(exc.code), exc.code
        message = exc.description or exc.name
        return plain_error(status, f"{message} :: ELRC({ref})", code)
    else:
        status, code = 500, 0
    if status == 204:  # upstream: a 204 "error" carries its message in a header
        return Response(
            None,
            status=204,
            headers={"X-Error": _header_text(code), "X-Error-Msg": _header_text(exc)},
        )
    if status >= 500:
        trace = "".join(traceback.format_exception(exc))
        Log.error(f"ELRC({ref}) - Traceback: {trace}")
    if isinstance(exc, ValidationException):
        message = str(exc)
    else:  # never show a client an internal exception's text (it may hold secrets)
        message = "Internal Server Error"
    return plain_error(status, f"{message} :: ELRC({ref})", code)


def _header_text(value: Any) -> str:
    """``value`` as one header line: control characters (CR, LF, NUL...) become
    spaces, so a message can never split or end the header block."""
    return "".join(" " if ord(c) < 32 or c == "\x7f" else c for c in str(value))


def fit_for_the_wire(response: Response) -> Response:
    """What may be sent as a final answer: a 1xx or an out-of-range status
    from a view is a 500 (logged), and 204/304 go without a body or length."""
    code = response.status_code
    # PERF(http-request): the common case is one comparison chain
    if 200 <= code < 600 and code not in _BODILESS:
        return response
    if not 200 <= code < 600:
        ref = str(uuid.uuid4())
        Log.error(f"ELRC({ref}) - a view answered status {code}, not a final status")
        return plain_error(500, f"Internal Server Error :: ELRC({ref})", 0)
    response.set_data(b"")
    response.headers.remove("Content-Length")
    return response
