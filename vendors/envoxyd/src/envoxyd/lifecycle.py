"""Shutdown: when uWSGI stops a worker (SIGTERM/SIGINT drain), finish its
``@every`` runs, run the service's ``@on_shutdown`` hooks, then close every
connector this process opened, newest first (envoxy.connectors: the Zapata
server finishing its requests in flight, MQTT flushed and disconnected,
zmqc's sockets, the database pools), all within ``envoxyd.drain_seconds``
(default 20). The events
worker also publishes its connectors' status for the others' readiness."""

from __future__ import annotations

import threading
import time
from typing import Any

from envoxy import connectors, hooks
from envoxy.utils.config import Config
from envoxy.utils.logs import Log
from envoxy.utils.uwsgi import api as uwsgi_api

__all__ = [
    "arm",
    "expects_events",
    "owns_events",
    "read_events_status",
    "runs_events",
    "shutdown",
    "started",
    "uwsgi_api",
]

_state: dict[str, Any] = {"app": None, "done": False}


def arm() -> None:
    """In the worker, before anything else: run ``shutdown`` when uWSGI stops it."""
    uwsgi = uwsgi_api()
    if uwsgi is not None:
        uwsgi.atexit = shutdown


_lock = threading.Lock()


def started(app: Any) -> None:
    """Remember the app (``arm`` registered ``shutdown``); under uWSGI the
    events worker starts publishing its status."""
    if _state["done"]:  # the drain began while this worker was starting
        connectors.close_all(time.monotonic())
        return
    _state.update(app=app)
    if uwsgi_api() is not None and owns_events() and expects_events():
        threading.Thread(
            target=_publish_status, name="envoxyd-events-status", daemon=True
        ).start()


STATUS_KEY = "events"
STATUS_CACHE = "envoxyd"
STATUS_EVERY_S = 1.0
STATUS_EXPIRES_S = 5


def events_status() -> dict[str, Any]:
    """This (events) worker's connectors: MQTT, the Zapata server."""
    jobs = connectors.check_entries(Config.load(), events_only=True)
    return {
        name: connectors.run_check(found, key, STATUS_EVERY_S)
        for name, (found, key) in jobs.items()
    }


def _publish_status() -> None:
    import json

    uwsgi = uwsgi_api()
    while not _state["done"]:
        try:
            payload = json.dumps(events_status()).encode()
            uwsgi.cache_update(STATUS_KEY, payload, STATUS_EXPIRES_S, STATUS_CACHE)
        except Exception as exc:  # the status is best effort; never kill the worker
            Log.warning(f"envoxyd: events status not published: {exc!r}")
        time.sleep(STATUS_EVERY_S)


def read_events_status() -> dict[str, Any] | None:
    """The events worker's last status; ``None`` when it is missing or stale."""
    if owns_events():
        return events_status()
    uwsgi = uwsgi_api()
    if uwsgi is None:
        return None
    import json

    raw = uwsgi.cache_get(STATUS_KEY, STATUS_CACHE)
    return json.loads(raw) if raw else None


def runs_events(config: Any) -> bool:
    """Whether this worker runs the MQTT and ZeroMQ views (worker
    ``envoxyd.events_worker``, default 1; always outside uWSGI)."""
    uwsgi = uwsgi_api()
    if uwsgi is None:
        return True
    wanted = int((config.get("envoxyd") or {}).get("events_worker", 1))
    runs = bool(uwsgi.worker_id() == wanted)
    _state["events"] = runs
    return runs


def owns_events() -> bool:
    return bool(_state.get("events", True))


def expects_events() -> bool:
    """Whether this daemon has an events worker to hear from."""
    return bool(connectors.check_entries(Config.load(), events_only=True))


def drain_budget(config: Any = None) -> float:
    """``envoxyd.drain_seconds`` (default 20): how long a stop may take to
    answer what was received, and a worker to finish its ZeroMQ requests.
    ``ConfigError`` at boot for a value that is not a positive number."""
    from envoxy.exceptions import ConfigError

    section = (config if config is not None else Config).get("envoxyd") or {}
    raw = section.get("drain_seconds", 20)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = -1.0
    if isinstance(raw, bool) or value <= 0:
        raise ConfigError(
            f"config: key 'envoxyd.drain_seconds': expected a positive number, "
            f"got {raw!r}"
        )
    return value


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
    try:
        budget = drain_budget()
    except ValueError:  # checked at boot; a config changed since must not block
        budget = 20.0
    deadline = time.monotonic() + budget

    def remaining() -> float:
        return max(0.0, deadline - time.monotonic())

    _step("@every jobs", lambda: hooks.stop_periodic(remaining()))
    _step("@on_shutdown hooks", lambda: hooks.run_shutdown(remaining()))
    connectors.close_all(deadline)  # the Zapata server first, its requests done
    Log.info("envoxyd: worker stopped cleanly")
