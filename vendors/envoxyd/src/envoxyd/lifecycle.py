"""Shutdown: when uWSGI stops a worker (SIGTERM/SIGINT drain), finish its
ZeroMQ requests in flight, disconnect MQTT, close zmqc's sockets and the
database pools, within ``envoxyd.drain_seconds`` (default 20)."""

from __future__ import annotations

import threading
from typing import Any

from envoxy.utils.config import Config
from envoxy.utils.logs import Log

__all__ = ["shutdown", "started", "zmq_server"]

_state: dict[str, Any] = {"app": None, "zmq": None, "done": False}
_lock = threading.Lock()


def started(app: Any, server: Any) -> None:
    """Remember what to stop and register ``shutdown`` with uWSGI."""
    _state.update(app=app, zmq=server, done=False)
    try:
        import uwsgi  # type: ignore[import-not-found]
    except ImportError:
        return
    uwsgi.atexit = shutdown


def zmq_server() -> Any:
    return _state["zmq"]


def _budget() -> float:
    try:
        return float((Config.get("envoxyd") or {}).get("drain_seconds", 20))
    except (TypeError, ValueError):
        return 20.0


def _step(name: str, action: Any) -> None:
    try:
        action()
    except Exception as exc:  # one failing step must not skip the others
        Log.warning(f"envoxyd shutdown: {name} failed: {exc!r}")


def shutdown() -> None:
    """Stop everything this worker started (safe to call twice)."""
    with _lock:
        if _state["done"]:
            return
        _state["done"] = True
    budget = _budget()
    server = _state["zmq"]
    if server is not None:
        _step("zmq server", lambda: server.stop(timeout=budget))
    if Config.get("mqtt_servers"):
        from envoxy import mqttc

        _step("mqtt", mqttc.shutdown)
    if Config.get("zmq_servers"):
        from envoxy import zmqc

        _step("zmqc", zmqc.shutdown)
    Log.info("envoxyd: worker stopped cleanly")
