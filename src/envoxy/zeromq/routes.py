"""Zapata requests -> ``@on(protocols=["zmq"])`` view methods -> reply bodies.

The resource is matched by the router with the one endpoint grammar (typed
``{name:type}`` variables converted, registration order); the performative
picks the method (``GET`` -> ``get``, ``HEAD`` -> ``get`` without a payload)
and the dispatch core (envoxy.views.dispatch) calls it and reads what it
returns or raises, exactly as for HTTP: a ``(body, status)`` tuple sets the
status, ``None`` is a 204 without a payload, a list is ``{"elements",
"size"}``, a ``ValidationException`` its status with ``{"text", "code"}``,
anything else a 500 logged once. A missing route is a 404, a missing method
a 405, a malformed request a 400. Nothing a request does can stop the server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from envoxy.constants import Performative
from envoxy.exceptions import ConfigError
from envoxy.routing import Router, parse_endpoint
from envoxy.utils.encoders import envoxy_json_loads
from envoxy.utils.logs import Log
from envoxy.views.containers import Response, envelope, status_number
from envoxy.views.dispatch import bind, failure, split
from envoxy.views.views import route_of
from envoxy.zeromq.codec import decode_request, encode_reply
from envoxy.zeromq.errors import ZapataEncodeError, ZapataError

__all__ = ["ZapataRequest", "ZmqRoutes", "zapata_payload"]

_METHODS = {int(p): p.name for p in Performative}
_HEAD = int(Performative.HEAD)


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
        self._router = Router()
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
        parsed = parse_endpoint(endpoint, f"{type(view).__name__}: {endpoint!r}")
        self._router.add(parsed.pattern, bind(view, endpoint), parsed.captures)
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
            if message["performative"] == _HEAD:
                payload = None
            return encode_reply(resource, status, payload, headers)
        except ZapataEncodeError as exc:
            Log.error(f"zmq server: {resource}: the reply cannot be encoded: {exc}")
            return encode_reply(
                resource,
                500,
                {"text": "the handler's reply cannot be encoded as JSON", "code": 0},
                headers,
            )
        except Exception as exc:  # every failure becomes a reply
            refused = failure(exc, f"zmq server: {resource}")
            text = {"text": refused.message, "code": refused.code}
            return encode_reply(resource, refused.status, text, headers)

    def _dispatch(self, message: dict[str, Any]) -> tuple[int, Any]:
        resource = message["resource"]
        matches = self._router.match(resource)
        if not matches:
            return 404, {"text": f"Resource not found: {resource}", "code": 0}
        method = _METHODS.get(message["performative"], "")
        for targets, params in matches:
            target = targets.get(method)
            if target is not None:
                return zapata_payload(target.call(ZapataRequest(message), **params))
        return 405, {"text": f"Method {method} not allowed", "code": 0}


def zapata_payload(result: Any) -> tuple[int, Any]:
    """A view's return value as ``(status, payload)``: the reading HTTP gives
    it (the dispatch core's ``split``, then the envelope), without the HTTP
    body's bytes."""
    if isinstance(result, Response):
        return result.status_code, _decoded(result.data)
    body, status, _ = split(result)
    if isinstance(body, Response):
        return status_number(status, body.status_code), _decoded(body.data)
    if isinstance(body, Mapping):
        envelope_status, _, _, body = envelope(dict(body))
        if envelope_status is not None:
            status = envelope_status
    if isinstance(body, list):
        body = {"elements": body, "size": len(body)}
    elif isinstance(body, (bytes, bytearray)):
        body = _decoded(bytes(body))
    return (200 if status is None else status_number(status, 500)), body


def _decoded(data: bytes) -> Any:
    if not data:
        return None
    try:
        return envoxy_json_loads(data)
    except ValueError:
        return data.decode("utf-8", "replace")
