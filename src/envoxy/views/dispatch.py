"""The one dispatch core under HTTP, ZeroMQ and MQTT views.

What is decided here, once for every transport:

- **the call** (``bind``): which method serves a request (``HEAD`` runs
  ``get``), with the route's variables already converted by the router, and
  ``endpoint=`` passed only to a method that takes it (a parameter of that
  name, or ``**kwargs``): decided once, when the route is registered. A
  method marked by ``@auth_required`` needs an auth backend at boot, whatever
  the transport.
- **what a return value means** (``split``, then
  ``envoxy.views.containers.unwrap``): a ``Response`` as it is; a
  ``(body, status[, headers])`` tuple; ``None`` is 204 without a body; a list
  is ``{"elements": [...], "size": n}``; a dict's ``status``, ``headers`` and
  ``cookies`` keys are honoured and its ``payload`` key, when present, is the
  body (upstream's envelope); any other value is the body.
- **what an exception means** (``failure``): a ``ValidationException`` its
  status (412 by default) with its code and text; Werkzeug's HTTP errors (a
  malformed body) their status; anything else a 500 whose text is logged with
  its traceback under an ``ELRC`` reference and never sent.

Each transport then only writes its own upstream wire shape: HTTP
``{"code", "error"}`` with ``X-Error`` (envoxy.http), Zapata ``status`` with
``payload: {"text", "code"}`` (envoxy.zeromq).
"""

from __future__ import annotations

import functools
import inspect
import traceback
import uuid
from collections.abc import Callable
from typing import Any

from envoxy.auth.backends import AUTH_MARK, require_backend
from envoxy.exceptions import ValidationException
from envoxy.utils.logs import Log
from envoxy.views.containers import status_number

__all__ = [
    "Failure",
    "Target",
    "accepted_keywords",
    "bind",
    "failure",
    "fit_keywords",
    "split",
]

#: the request methods a view may define (HEAD is served by ``get``): HTTP's
#: and the Zapata performatives' (a transport routes the ones it speaks)
METHOD_NAMES = (
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "options",
    "search",
    "trace",
    "notify",
    "connect",
)


def accepted_keywords(
    func: Callable[..., Any], follow_wrapped: bool = True
) -> frozenset[str] | None:
    """The keyword names ``func`` takes; ``None`` when it takes any
    (``**kwargs``). Decorators are seen through (``__wrapped__``) unless
    ``follow_wrapped`` is false. Remembered per callable: one handler bound
    to many subscriptions is inspected once."""
    try:
        return _accepted_cached(func, follow_wrapped)
    except TypeError:  # an unhashable callable: inspected every time
        return _accepted(func, follow_wrapped)


def _accepted(func: Callable[..., Any], follow_wrapped: bool) -> frozenset[str] | None:
    target = inspect.unwrap(func) if follow_wrapped else func
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):  # a builtin: assume it takes what it is given
        return None
    names = []
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            return None
        if parameter.kind in (
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            inspect.Parameter.KEYWORD_ONLY,
        ):
            names.append(parameter.name)
    return frozenset(names)


# PERF(mqtt-subscribe-100000): inspect.signature costs ~10 us a call
_accepted_cached = functools.lru_cache(maxsize=4096)(_accepted)


def fit_keywords(
    accepted: frozenset[str] | None, kwargs: dict[str, Any]
) -> dict[str, Any]:
    """``kwargs`` without the names a function does not take (``None``: all)."""
    if accepted is None:
        return kwargs
    return {key: value for key, value in kwargs.items() if key in accepted}


class Target:
    """One view method bound to one endpoint: ``target.call(request,
    **variables)``."""

    __slots__ = ("call", "endpoint", "func", "name", "pass_endpoint")

    def __init__(self, func: Callable[..., Any], endpoint: str, name: str) -> None:
        self.func = func
        self.endpoint = endpoint
        self.name = name
        # the outermost callable decides: envoxy's own decorators take **kwargs
        # and hand the inner method only what it takes
        signature = accepted_keywords(func, follow_wrapped=False)
        self.pass_endpoint = signature is None or "endpoint" in signature
        # PERF(http-request): a C-level partial, not a Python frame per call
        self.call: Callable[..., Any] = (
            functools.partial(func, endpoint=endpoint) if self.pass_endpoint else func
        )


def bind(view: Any, endpoint: str) -> dict[str, Target]:
    """``{"GET": Target, ...}`` for the request methods ``view`` defines
    (``HEAD`` -> ``get``); ``ConfigError`` at boot for an ``@auth_required``
    method without an auth backend."""
    targets: dict[str, Target] = {}
    for name in METHOD_NAMES:
        method = getattr(view, name, None)
        if not callable(method):
            continue
        where = f"{type(view).__name__}.{name}"
        if getattr(method, AUTH_MARK, None):
            require_backend(where)
        targets[name.upper()] = Target(method, endpoint, where)
    if "GET" in targets:
        targets.setdefault("HEAD", targets["GET"])
    return targets


def split(result: Any) -> tuple[Any, Any, Any]:
    """``(body, status, headers)`` of a view's return value: a
    ``(body, status[, headers])`` tuple, ``None`` as 204, else the value with
    no status or headers of its own (a ``Response``, an envelope dict and the
    list rule are read by ``envoxy.views.containers.unwrap``)."""
    if type(result) is tuple and 2 <= len(result) <= 3:
        return result[0], result[1], result[2] if len(result) == 3 else None
    if result is None:
        return None, 204, None
    return result, None, None


class Failure:
    """What an exception means: status, code, message (safe to send), extra
    headers, and the ``ELRC`` reference it is logged under."""

    __slots__ = ("code", "headers", "message", "ref", "status")

    def __init__(
        self, status: int, code: Any, message: str, ref: str, headers: Any = None
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.ref = ref
        self.headers = headers


def _status(value: Any, default: int) -> int:
    status = status_number(value, default)
    return status if 100 <= status <= 599 else 500


def failure(exc: BaseException, where: str = "") -> Failure:
    """The meaning of an exception raised by a view (or reading its request)."""
    # PERF(import): werkzeug costs ~32 ms of `import envoxy` (measured with
    # -X importtime); only a failure needs its HTTPException
    from werkzeug.exceptions import HTTPException

    ref = str(uuid.uuid4())
    if isinstance(exc, ValidationException):
        status = _status(exc.status, 412)
        if status >= 500:
            _log(exc, ref, where)
        return Failure(status, exc.code, str(exc), ref)
    if isinstance(exc, HTTPException):
        return Failure(
            _status(exc.code, 500), exc.code, exc.description or exc.name, ref
        )
    _log(exc, ref, where)
    # never show a caller an internal exception's text (it may hold secrets)
    return Failure(500, 0, "Internal Server Error", ref)


def _log(exc: BaseException, ref: str, where: str) -> None:
    trace = "".join(traceback.format_exception(exc))
    place = f" {where}:" if where else ""
    Log.error(f"ELRC({ref}) -{place} Traceback: {trace}")
