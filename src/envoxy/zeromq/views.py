"""Serving ``@on(protocols=["zmq"])`` views (envoxyd calls this at boot).

Config: ``{"zmq_server": {"bind": "tcp://0.0.0.0:5555", "workers": 8,
"handoff_ms": 5, "spin_us": 250}}``; only ``bind`` is required, and only when
some view lists ``zmq``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from envoxy.exceptions import ConfigError
from envoxy.zeromq.routes import ZmqRoutes

__all__ = ["serve_zmq_views"]


def serve_zmq_views(views: Iterable[Any], conf: Mapping[str, Any] | None = None) -> Any:
    """Start a ``ZapataServer`` for the ZeroMQ views among ``views``; ``None``
    when there are none. ``ConfigError`` when they exist but ``zmq_server``
    has no ``bind``."""
    from envoxy.zeromq.server import ZapataServer

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
    try:
        workers = int(conf.get("workers", 8))
        handoff_ms = float(conf.get("handoff_ms", 5.0))
        spin_us = float(conf.get("spin_us", 250.0))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"zmq_server: {exc}") from None
    return ZapataServer(
        bind, routes.reply, workers=workers, handoff_ms=handoff_ms, spin_us=spin_us
    ).start()
