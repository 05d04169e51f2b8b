"""Zapata requests -> ``@on(protocols=["zmq"])`` view methods -> reply bodies.

The resource is matched by the compiled topic router (``/`` levels, ``{var}``
segments bound as keyword arguments, registration order), the performative
picks the method (``GET`` -> ``get``...). Every outcome is a reply body: a
missing route 404, a missing method 405, a malformed request 400, a
``ValidationException`` its own status with ``{"text", "code"}``, any other
exception 500 with its traceback logged once. Nothing a request does can stop
the server.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Mapping
from typing import Any

from envoxy import _speedups
from envoxy.constants import Performative
from envoxy.exceptions import ConfigError, ValidationException
from envoxy.utils.encoders import envoxy_json_loads
from envoxy.utils.logs import Log
from envoxy.views.containers import Response, status_number
from envoxy.views.views import route_of
from envoxy.zeromq.codec import decode_request, encode_reply
from envoxy.zeromq.errors import ZapataEncodeError, ZapataError

__all__ = ["ZapataRequest", "ZmqRoutes"]

_METHODS = {int(p): p.name.lower() for p in Performative}


class ZapataRequest:
    """What a view method receives as ``request`` for a Zapata call; the names
    follow the HTTP request views already use (``args``, ``get_json()``...)."""

    __slots__ = ("headers", "params", "payload", "performative", "resource")

    def __init__(self, message: dict[str, Any]) -> None:
        self.resource: str = message["resource"]
        self.performative: int = message["performative"]
        self.headers: dict[str, Any] = message["headers"]
        self.params: Any = message.get("params")
        self.payload: Any = message.get("payload")

    path = property(lambda self: self.resource)
    full_path = path
    method = property(lambda self: _METHODS[self.performative].upper())
    args = property(lambda self: self.params if self.params is not None else {})
    is_json = True

    def get_json(self, *_: Any, **__: Any) -> Any:
        return self.payload


class ZmqRoutes:
    """The ZeroMQ routes of a set of views; ``reply(body)`` answers one request."""

    def __init__(self, views: Iterable[Any] = ()) -> None:
        self._router = _speedups.load("router").Router()
        self.count = 0
        for view in views:
            self.add_view(view)

    def add_view(self, view: Any) -> bool:
        """Route ``view`` when its ``@on`` lists ``zmq``; whether it did."""
        route = route_of(view)
        if "zmq" not in (route.get("protocols") or []):
            return False
        endpoint = route.get("endpoint")
        if not isinstance(endpoint, str) or not endpoint:
            raise ConfigError(
                f"{type(view).__name__}: @on(..., protocols=['zmq']) needs endpoint="
            )
        self._router.add(endpoint, view)
        if "zmq" not in getattr(view, "protocols", ["zmq"]):
            view.protocols.append("zmq")
        self.count += 1
        return True

    def reply(self, body: bytes) -> bytes:
        """The reply body for one request body (never raises for bad input)."""
        try:
            message = decode_request(body)
        except ZapataError as exc:
            Log.warning(f"zmq server: malformed request dropped with a 400: {exc}")
            return encode_reply(None, 400, {"text": str(exc), "code": 0})
        resource = message["resource"]
        headers = {"X-Cid": message["headers"].get("X-Cid")}
        try:
            status, payload = self._dispatch(message)
            return encode_reply(resource, status, payload, headers)
        except ZapataEncodeError as exc:
            Log.error(f"zmq server: {resource}: the reply cannot be encoded: {exc}")
            text = "the handler's reply cannot be encoded as JSON"
        except ValidationException as exc:
            return encode_reply(
                resource,
                status_number(exc.status, 412),
                {"text": str(exc), "code": exc.code},
                headers,
            )
        except Exception:
            Log.error(
                f"zmq server: {resource}: handler failed\n{traceback.format_exc()}"
            )
            text = "Internal Server Error"
        return encode_reply(resource, 500, {"text": text, "code": 0}, headers)

    def _dispatch(self, message: dict[str, Any]) -> tuple[int, Any]:
        resource = message["resource"]
        matches = self._router.match(resource)
        if not matches:
            return 404, {"text": f"Resource not found: {resource}", "code": 0}
        method = _METHODS[message["performative"]]
        for view, params in matches:
            handler = getattr(view, method, None)
            if handler is not None:
                return _as_reply(handler(ZapataRequest(message), **params))
        return 405, {"text": f"Method {method.upper()} not allowed", "code": 0}


def _as_reply(result: Any) -> tuple[int, Any]:
    """A view's return value -> (status, payload), as the HTTP side reads it."""
    if isinstance(result, Response):
        body = result.data
        try:
            payload = envoxy_json_loads(body) if body else None
        except ValueError:
            payload = body.decode("utf-8", "replace")
        return result.status_code, payload
    if isinstance(result, Mapping) and "payload" in result and "status" in result:
        return status_number(result["status"], 200), result["payload"]
    if isinstance(result, list):
        return 200, {"elements": result, "size": len(result)}
    return 200, result
