"""Serving ``@on(protocols=["zmq"])`` views (envoxyd calls this at boot).

Config: ``{"zmq_server": {"bind": "tcp://0.0.0.0:5555", "workers": 8,
"handoff_ms": 5, "spin_us": 250, "max_message_bytes": 4194304,
"queue_per_peer": 64}}``; only ``bind`` is required, and only when some view
lists ``zmq``. A request frame over ``max_message_bytes`` (default 4 MiB) is
refused and its peer cut off; at most ``queue_per_peer`` frames wait per peer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from envoxy.exceptions import ConfigError
from envoxy.zeromq.routes import ZmqRoutes
from envoxy.zeromq.settings import SERVER_MAX_MESSAGE_BYTES, SERVER_QUEUE_PER_PEER

__all__ = ["plan_zmq_server", "serve_zmq_views", "server_options"]


def plan_zmq_server(
    views: Iterable[Any], conf: Mapping[str, Any] | None = None
) -> tuple[ZmqRoutes, dict[str, Any]] | None:
    """The routes of the ZeroMQ views among ``views`` and the ``ZapataServer``
    options from ``zmq_server`` (``conf`` or the config); ``None`` when there
    are no such views, ``ConfigError`` when the section is wrong. Opens nothing
    (envoxyd's preflight calls it too)."""
    routes = ZmqRoutes(views)
    if not routes.count:
        return None
    if conf is None:
        from envoxy.utils.config import Config

        conf = Config.get("zmq_server") or {}
    bind = conf.get("bind")
    if not isinstance(bind, str) or not bind:
        raise ConfigError(
            "views use protocols=['zmq'] but zmq_server.bind is not set "
            "(e.g. tcp://0.0.0.0:5555)"
        )
    return routes, server_options(conf)


def server_options(conf: Mapping[str, Any]) -> dict[str, Any]:
    """``ZapataServer`` options of the ``zmq_server`` section; ``ConfigError``
    naming the key for a bad value."""
    bind = conf.get("bind")
    if bind is not None and not isinstance(bind, str):
        raise ConfigError(f"zmq_server.bind: expected a string, got {bind!r}")
    try:
        options: dict[str, Any] = {
            "bind": bind,
            "workers": int(conf.get("workers", 8)),
            "handoff_ms": float(conf.get("handoff_ms", 5.0)),
            "spin_us": float(conf.get("spin_us", 250.0)),
            "max_message_bytes": int(
                conf.get("max_message_bytes", SERVER_MAX_MESSAGE_BYTES)
            ),
            "queue_per_peer": int(conf.get("queue_per_peer", SERVER_QUEUE_PER_PEER)),
        }
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"zmq_server: {exc}") from None
    for name in ("workers", "max_message_bytes", "queue_per_peer"):
        if options[name] < 1:
            raise ConfigError(f"zmq_server.{name}: must be at least 1")
    return options


def serve_zmq_views(views: Iterable[Any], conf: Mapping[str, Any] | None = None) -> Any:
    """Start a ``ZapataServer`` for the ZeroMQ views among ``views``; ``None``
    when there are none (see ``plan_zmq_server`` for the errors)."""
    plan = plan_zmq_server(views, conf)
    if plan is None:
        return None
    from envoxy.zeromq.server import ZapataServer

    routes, options = plan
    return ZapataServer(reply=routes.reply, **options).start()
