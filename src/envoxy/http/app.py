"""``EnvoxyApp``: the WSGI application serving ``@on(protocols=["http"])`` views.

Per request: match the path (compiled router), read a body if there is one
(bounded, envoxy.http.body), build a Werkzeug ``Request`` (lazy: nothing is
parsed until a view asks), call the view method as
``view.get(request, **variables, endpoint=...)``, turn what it returns into a
``Response``. A dict, a list, ``None`` (204), a ``Response``, or a
``(body, status[, headers])`` tuple all work. Nothing a request does can
escape as an exception: errors become JSON replies (envoxy.http.errors), and
a last guard around the whole request turns anything else into a 500, so
every request gets an answer and one log line (INFO): method, path, status,
milliseconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.wrappers import Request

from envoxy.http.body import BodyError, BodyReader, JsonWithDepthLimit
from envoxy.http.cors import CorsPolicy
from envoxy.http.errors import error_response, fit_for_the_wire, plain_error
from envoxy.http.limits import HttpLimits
from envoxy.http.routes import HttpRoutes, MethodNotAllowed, NotFound
from envoxy.utils.logs import Log
from envoxy.views.containers import Response
from envoxy.views.dispatch import split

__all__ = ["EnvoxyApp", "EnvoxyRequest", "to_response"]

MAX_BODY_BYTES = HttpLimits.max_body_bytes
RETRY = {"Retry-After": "1"}
#: final statuses sent as they are; the others go through fit_for_the_wire
PLAIN_STATUSES = frozenset(range(200, 600)) - {204, 304}


class EnvoxyRequest(Request):
    """Werkzeug's request; a body over ``max_content_length`` is a 413.

    Built lazily: the constructor only keeps the environ, and Werkzeug's own
    constructor (method, path, headers, ...) runs the first time a view reads
    an attribute it sets. A view that never looks at its request (many GETs)
    saves that work, about a microsecond per request; one that does gets the
    same values Werkzeug computes."""

    max_content_length = MAX_BODY_BYTES

    def __init__(
        self,
        environ: dict[str, Any],
        populate_request: bool = True,
        shallow: bool = False,
    ) -> None:
        self.environ = environ
        self.shallow = shallow
        if populate_request and not shallow:
            environ["werkzeug.request"] = self

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes not set yet: the first one a view reads
        # that Werkzeug's constructor sets builds them all, once.
        state = self.__dict__
        if name.startswith("__") or "environ" not in state or "method" in state:
            raise AttributeError(name)
        Request.__init__(self, state["environ"], False, state["shallow"])
        return getattr(self, name)


def to_response(result: Any) -> Response:
    """What a view returned, as a ``Response`` (the meaning is the dispatch
    core's: envoxy.views.dispatch.split, then Response's own reading)."""
    if isinstance(result, Response):
        return result
    if type(result) is dict:  # PERF(http-request): the usual answer, no split
        return Response(result)
    body, status, headers = split(result)
    return Response(body, status=status, headers=headers)


class EnvoxyApp:
    """``app = EnvoxyApp(views)``; ``app(environ, start_response)`` per WSGI."""

    def __init__(
        self,
        views: Iterable[Any] = (),
        extra_routes: dict[str, dict[str, Callable[..., Any]]] | None = None,
        lanes: Mapping[str, int] | None = None,
        limits: HttpLimits | None = None,
        cors: CorsPolicy | None = None,
        fallback_routes: dict[str, dict[str, Callable[..., Any]]] | None = None,
    ) -> None:
        """``lanes``: at most that many requests at once per priority lane
        (``{"low": 2}``); a full lane answers 503 with ``Retry-After``.
        ``limits``: the bounds on request bodies (envoxy.http.limits).
        ``cors``: the CORS policy (envoxy.http.cors; ``None``: off).
        ``fallback_routes``: tried after every view (``default_zmq_backend``)."""
        self.cors = cors
        self.limits = limits or HttpLimits()
        self.bodies = BodyReader(self.limits)
        self.request_class = type(
            "EnvoxyRequest",
            (EnvoxyRequest,),
            {
                "max_content_length": self.limits.max_body_bytes,
                "json_module": JsonWithDepthLimit(self.limits.max_json_depth),
            },
        )
        self.lanes = {
            name: threading.BoundedSemaphore(int(cap))
            for name, cap in (lanes or {}).items()
            if cap is not None
        }
        self.routes = HttpRoutes()
        for endpoint, handlers in (extra_routes or {}).items():
            self.routes.add(endpoint, handlers)
        for view in views:
            self.routes.add_view(view)
        for endpoint, handlers in (fallback_routes or {}).items():
            self.routes.add(endpoint, handlers)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Any:
        started = time.perf_counter()
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO") or "/"
        try:
            if self.cors is not None and "HTTP_ORIGIN" in environ:
                response = self._with_cors(method, path, environ)
            else:
                response = self._respond(method, path, environ)
        except Exception as exc:  # the last guard: every request gets an answer
            response = error_response(exc)
        # PERF(http-request): one set lookup for the plain final answers
        if response.status_code not in PLAIN_STATUSES:
            response = fit_for_the_wire(response)
        elapsed_ms = (time.perf_counter() - started) * 1000
        Log.access(method, path, response.status_code, elapsed_ms)  # INFO only
        body = response(environ, start_response)
        return [] if method == "HEAD" else body

    def _with_cors(self, method: str, path: str, environ: dict[str, Any]) -> Response:
        """A request that names its ``Origin``: a preflight is answered here,
        an ordinary answer gets the origin's headers (envoxy.http.cors)."""
        policy = self.cors
        if policy is None:  # only called with a policy
            return self._respond(method, path, environ)
        origin = environ["HTTP_ORIGIN"]
        if not policy.allows(origin):
            return self._respond(method, path, environ)
        if method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ:
            requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
            return Response(
                None, status=204, headers=policy.preflight(origin, requested)
            )
        response = self._respond(method, path, environ)
        for name, value in policy.answer(origin):
            response.headers.add(name, value)
        return response

    def _respond(self, method: str, path: str, environ: dict[str, Any]) -> Response:
        try:
            target, params, lane = self.routes.resolve(method, path)
        except NotFound:
            return plain_error(404, f"Resource not found: {path}")
        except MethodNotAllowed as refused:
            allow = ", ".join([*refused.allowed, "OPTIONS"])
            if method == "OPTIONS":
                return Response(None, status=204, headers={"Allow": allow})
            return plain_error(
                405, f"Method {method} not allowed", headers={"Allow": allow}
            )
        try:
            # PERF(http-request): a GET without a body skips the reader's call
            if "CONTENT_LENGTH" in environ or "HTTP_TRANSFER_ENCODING" in environ:
                self.bodies.read(environ)
        except BodyError as refused:
            extra = RETRY if refused.status == 503 else None
            response = plain_error(refused.status, refused.message, headers=extra)
            response.headers.add("Connection", "close")  # the body is not read
            return response
        gate = self.lanes.get(lane) if lane is not None else None
        if gate is not None and not gate.acquire(blocking=False):
            return plain_error(
                503, f"Busy: the {lane} priority lane is full", headers=RETRY
            )
        try:
            return to_response(target.call(self.request_class(environ), **params))
        except Exception as exc:  # every failure becomes a reply
            return error_response(exc)
        finally:
            if gate is not None:
                gate.release()
