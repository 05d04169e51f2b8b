"""``/_health`` (liveness) and ``/_health/ready`` (readiness, per connector).

Readiness asks every configured connector (envoxy.connectors) about each of
its entries, with a short timeout: ``psql_servers`` (``SELECT 1`` through the
key's engine), ``redis_servers`` (PING), ``couchdb_servers`` (the server
answers); MQTT (connected, how many subscriptions) and the Zapata server
(running) are checked by the worker that runs them, which publishes its
status every second in uWSGI's cache for the other workers. Every configured
connector is required unless listed in ``health.optional``
(``["redis_servers.cache"]``); a required one down makes the answer 503.

The checks run side by side, each in its own thread, and the answer waits at
most ``CHECK_TIMEOUT_S`` for them: a connector that hangs (a database behind
a dead route) is reported as ``timeout`` instead of holding the probe past
its deadline. A check still running from an earlier probe is not started
twice.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from typing import Any

from envoxy import connectors
from envoxy.connectors import Connector
from envoxy.hooks import startup_status
from envoxy.utils.config import Config
from envoxy.views.containers import Response
from envoxyd import lifecycle
from envoxyd.master import is_draining

__all__ = ["liveness", "readiness", "run_checks"]

CHECK_TIMEOUT_S = 1.0


def liveness(request: Any, **_: Any) -> Response:
    return Response({"status": "healthy", "service": "envoxy"})


class _RunningCheck:
    """One running check: a daemon thread (a check hanging in a connect must
    not hold up the worker's exit) and the result it leaves."""

    __slots__ = ("done", "result")

    def __init__(self, found: Connector, key: str) -> None:
        self.done = threading.Event()
        self.result: dict[str, Any] = {}
        threading.Thread(target=self._run, args=(found, key), daemon=True).start()

    def _run(self, found: Connector, key: str) -> None:
        self.result = connectors.run_check(found, key, CHECK_TIMEOUT_S)
        self.done.set()


_lock = threading.Lock()
_running: dict[str, _RunningCheck] = {}


def _forget_checks() -> None:
    """In a forked child: the parent's check threads do not exist here."""
    global _lock
    _lock = threading.Lock()
    _running.clear()


os.register_at_fork(after_in_child=_forget_checks)


def _start(name: str, found: Connector, key: str) -> _RunningCheck | None:
    """A new check of ``name``; ``None`` while the previous one still runs."""
    with _lock:
        previous = _running.get(name)
        if previous is not None and not previous.done.is_set():
            return None
        started = _running[name] = _RunningCheck(found, key)
        return started


def run_checks(
    jobs: Mapping[str, tuple[Connector, str]],
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
    if is_draining():  # SIGTERM: load balancers should send work elsewhere
        return Response({"status": "draining", "checks": {}}, status=503)

    optional = set((Config.get("health") or {}).get("optional") or [])
    jobs = connectors.check_entries(Config.load(), events_only=False)
    results: dict[str, Any] = run_checks(jobs)
    startup = startup_status()  # this worker's @on_startup hooks
    if startup is not None:
        results["startup"] = startup
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
