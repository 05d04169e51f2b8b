"""``default_zmq_backend``: the catch-all HTTP -> ZeroMQ proxy route.

``{"default_zmq_backend": {"enabled": true, "server_key": "platform",
"path_prefix": "/v3/"}}`` routes every HTTP request under ``path_prefix``
(default ``/``) that no view took to ``zmqc`` as upstream did: the method
becomes the performative (GET, POST, PUT, PATCH, DELETE, HEAD), the query
string the params (each value a list: ``?q=2`` is ``{"q": ["2"]}``), the
request headers the envelope's headers, a JSON body the payload; the reply's
``status``, ``headers`` and ``payload`` make the HTTP answer. ``server_key``
defaults to the first ``zmq_servers`` entry. Enabled without any
``zmq_servers`` (or naming one that does not exist) is a ``ConfigError`` at
boot. A backend that does not answer within zmqc's deadline is a 503.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from envoxy.exceptions import ConfigError
from envoxy.views.containers import Response

__all__ = ["METHODS", "proxy_routes"]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")


def _settings(config: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(server_key, path_prefix)``, or ``None`` when not enabled."""
    conf = config.get("default_zmq_backend")
    if not conf:
        return None
    if not isinstance(conf, Mapping):
        raise ConfigError("default_zmq_backend: expected an object")
    enabled = conf.get("enabled", False)
    if enabled in ("true", "True"):
        enabled = True
    if not enabled or enabled in ("false", "False"):
        return None
    servers = [
        k
        for k, v in (config.get("zmq_servers") or {}).items()
        if isinstance(v, Mapping)
    ]
    if not servers:
        raise ConfigError(
            "default_zmq_backend.enabled: there is no zmq_servers entry to proxy to"
        )
    key = conf.get("server_key") or servers[0]
    if key not in servers:
        raise ConfigError(
            f"default_zmq_backend.server_key: {key!r} is not a zmq_servers entry"
        )
    prefix = conf.get("path_prefix") or "/"
    if not isinstance(prefix, str) or not prefix.startswith("/"):
        raise ConfigError(
            f"default_zmq_backend.path_prefix: must start with '/', got {prefix!r}"
        )
    return str(key), prefix if prefix.endswith("/") else prefix + "/"


def proxy_routes(
    config: Mapping[str, Any],
) -> dict[str, dict[str, Callable[..., Any]]]:
    """``{endpoint: {method: handler}}`` for ``EnvoxyApp``'s fallback routes
    (empty when the proxy is off); ``ConfigError`` for a bad section."""
    found = _settings(config)
    if found is None:
        return {}
    key, prefix = found

    def proxy(request: Any, path: str = "", **_: Any) -> Response:
        from envoxy.zeromq.dispatcher import Dispatcher as zmqc

        method = request.method.upper()
        params = request.args.to_dict(flat=False) or None
        headers = list(request.headers.items()) or None
        payload = request.get_json(silent=True) if request.is_json else None
        call = getattr(zmqc, "head" if method == "HEAD" else method.lower())
        reply = call(
            key, prefix + path, params=params, payload=payload, headers=headers
        )
        return Response(reply)

    endpoint = prefix + "{path:path}"
    return {endpoint: dict.fromkeys(METHODS, proxy)}
