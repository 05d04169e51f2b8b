"""``/_health`` (liveness) and ``/_health/ready`` (readiness, per connector).

Readiness checks each configured connector with a short timeout; MQTT and
the Zapata server are checked by the worker that runs them, which publishes
its status every second in uWSGI's cache for the other workers:
``mqtt_servers`` (connected, how many subscriptions), ``redis_servers``
(PING), ``psql_servers`` (``SELECT 1``), ``couchdb_servers`` (the server
answers) and the Zapata server (running). Every configured connector is
required unless listed in ``health.optional`` (``["redis_servers.cache"]``);
a required one down makes the answer 503.

The checks run side by side, each in its own thread, and the answer waits at
most ``CHECK_TIMEOUT_S`` for them: a connector that hangs (a database behind
a dead route: pgsqlc's own connect timeout and retries take seconds) is
reported as ``timeout`` instead of holding the probe past its deadline. A
check still running from an earlier probe is not started twice.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from envoxy.utils.config import Config
from envoxy.views.containers import Response

__all__ = ["liveness", "readiness"]

CHECK_TIMEOUT_S = 1.0

#: A connector check: the server key in, ``{"ok": bool, ...}`` out.
Check = Callable[[str], dict[str, Any]]


def liveness(request: Any, **_: Any) -> Response:
    return Response({"status": "healthy", "service": "envoxy"})


def mqtt_check(key: str) -> dict[str, Any]:
    from envoxy.mqtt.dispatcher import MqttConnector

    connection = MqttConnector.instance().connections.get(key)
    if connection is None:
        return {"ok": False, "error": "not configured"}
    subscriptions = len(getattr(connection, "_subscriptions", {}))
    return {"ok": connection.is_connected(), "subscriptions": subscriptions}


def _redis(key: str) -> dict[str, Any]:
    import redis

    from envoxy.redis.client import server_settings

    conf = (Config.get("redis_servers") or {}).get(key, {})
    settings = server_settings(key, conf)
    client = redis.Redis(
        host=settings["host"],
        port=settings["port"],
        password=settings["password"],
        socket_timeout=CHECK_TIMEOUT_S,
        socket_connect_timeout=CHECK_TIMEOUT_S,
    )
    try:
        return {"ok": bool(client.ping())}
    finally:
        client.close()


def _psql(key: str) -> dict[str, Any]:
    from envoxy import pgsqlc

    rows = pgsqlc.query(key, "SELECT 1 AS up")
    return {"ok": rows == [{"up": 1}]}


def _couchdb(key: str) -> dict[str, Any]:
    import urllib3

    bind = (Config.get("couchdb_servers") or {}).get(key, {}).get("bind", "")
    reply = urllib3.request(
        "GET", bind.rstrip("/") + "/", timeout=CHECK_TIMEOUT_S, retries=False
    )
    return {"ok": reply.status == 200}


CHECKS: dict[str, Check] = {
    "redis_servers": _redis,
    "psql_servers": _psql,
    "couchdb_servers": _couchdb,
}


def run_check(check: Check, key: str) -> dict[str, Any]:
    try:
        return check(key)
    except Exception as exc:  # a connector down is an answer, not a crash
        return {"ok": False, "error": type(exc).__name__}


class _RunningCheck:
    """One running check: a daemon thread (a check hanging in a connect must
    not hold up the worker's exit) and the result it leaves."""

    __slots__ = ("done", "result")

    def __init__(self, check: Check, key: str) -> None:
        self.done = threading.Event()
        self.result: dict[str, Any] = {}
        threading.Thread(target=self._run, args=(check, key), daemon=True).start()

    def _run(self, check: Check, key: str) -> None:
        self.result = run_check(check, key)
        self.done.set()


_lock = threading.Lock()
_running: dict[str, _RunningCheck] = {}


def _forget_checks() -> None:
    """In a forked child: the parent's check threads do not exist here."""
    global _lock
    _lock = threading.Lock()
    _running.clear()


os.register_at_fork(after_in_child=_forget_checks)


def _start(name: str, check: Check, key: str) -> _RunningCheck | None:
    """A new check of ``name``; ``None`` while the previous one still runs."""
    with _lock:
        previous = _running.get(name)
        if previous is not None and not previous.done.is_set():
            return None
        started = _running[name] = _RunningCheck(check, key)
        return started


def run_checks(
    jobs: Mapping[str, tuple[Check, str]],
) -> dict[str, dict[str, Any]]:
    """``{name: result}`` of every job, waiting ``CHECK_TIMEOUT_S`` in all."""
    started = {name: _start(name, *job) for name, job in jobs.items()}
    deadline = time.monotonic() + CHECK_TIMEOUT_S
    results = {}
    for name, check in started.items():
        remaining = max(0.0, deadline - time.monotonic())
        if check is not None and check.done.wait(remaining):
            results[name] = dict(check.result)
        else:
            results[name] = {"ok": False, "error": "timeout"}
    return results


def readiness(request: Any, **_: Any) -> Response:
    from envoxyd import lifecycle
    from envoxyd.master import is_draining

    if is_draining():  # SIGTERM: load balancers should send work elsewhere
        return Response({"status": "draining", "checks": {}}, status=503)

    optional = set((Config.get("health") or {}).get("optional") or [])
    jobs = {}
    for section, check in CHECKS.items():
        servers = Config.get(section) or {}
        if not isinstance(servers, Mapping):
            continue
        for key, conf in servers.items():
            if isinstance(conf, Mapping):  # not e.g. psql_servers.default = "key"
                jobs[f"{section}.{key}"] = (check, key)
    results: dict[str, Any] = run_checks(jobs)
    ready = True
    for name, result in results.items():
        result["required"] = name not in optional
        ready = ready and (result["ok"] or not result["required"])
    if lifecycle.expects_events():
        events = lifecycle.read_events_status()
        if events is None:
            results["events_worker"] = {"ok": False, "error": "no recent status"}
            ready = False
        for name, result in (events or {}).items():
            result["required"] = name not in optional
            results[name] = result
            ready = ready and (result["ok"] or not result["required"])
    status = 200 if ready else 503
    return Response(
        {"status": "ready" if ready else "unavailable", "checks": results},
        status=status,
    )
