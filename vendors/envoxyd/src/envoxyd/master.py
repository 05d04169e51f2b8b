"""What envoxyd runs in uWSGI's master (``--shared-import envoxyd.master``):
a SIGTERM that drains before it stops.

uWSGI's graceful stop lets each worker finish the request it is running, then
ends: requests the router had already received and queued for a busy worker
(keep-alive clients, bursts) got a bare connection close. Here SIGTERM is
taken by a thread of the master (blocked in every other thread, so uWSGI's
own handler never sees it) and the stop goes in three steps:

1. with the ``--http`` router, its listening socket is shut for reading, so
   new clients are refused at once (a load balancer moves them elsewhere)
   while connections already open keep being served;
2. the workers go on serving until every one of them has been idle for
   ``QUIET_S`` (nothing queued is left: an idle worker thread takes a queued
   request within microseconds), or ``envoxyd.drain_seconds`` have passed;
3. uWSGI's graceful stop (the SIGINT hook): workers finish, run their
   shutdown (envoxyd.lifecycle), the master exits 0.

A second SIGTERM during the drain skips to step 3.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from typing import Any

__all__ = ["install", "router_listeners"]

QUIET_S = 0.3
POLL_S = 0.05
DRAIN_OPTION = "envoxyd-drain-seconds"
DEFAULT_DRAIN_S = 20.0


def _uwsgi() -> Any:
    import uwsgi  # type: ignore[import-not-found]

    return uwsgi


def _log(message: str) -> None:
    # the master has no envoxy logging set up: uWSGI's own log line
    _uwsgi().log(f"envoxyd: {message}")


def router_listeners(worker_sockets: set[int]) -> list[int]:
    """The master's listening TCP sockets that are not the workers' own: the
    ``--http`` router's (the master keeps a copy of each gateway socket)."""
    found = []
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd in worker_sockets:
            continue
        try:
            if not os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                continue
            probe = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        with probe:
            listening = probe.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
            if listening and probe.family in (socket.AF_INET, socket.AF_INET6):
                found.append(fd)
    return found


def _option(uwsgi: Any, name: str) -> Any:
    value = uwsgi.opt.get(name)
    if isinstance(value, list):
        value = value[-1]
    return value.decode() if isinstance(value, bytes) else value


def _drain_budget(uwsgi: Any) -> float:
    try:
        return float(_option(uwsgi, DRAIN_OPTION) or DEFAULT_DRAIN_S)
    except ValueError:
        return DEFAULT_DRAIN_S


def _all_idle(uwsgi: Any) -> bool:
    return all(
        worker["status"] != b"busy" for worker in uwsgi.workers() if worker["pid"]
    )


def _drain(uwsgi: Any) -> None:
    budget = _drain_budget(uwsgi)
    if _option(uwsgi, "http"):
        for fd in router_listeners(set(getattr(uwsgi, "sockets", []) or [])):
            try:
                with socket.socket(fileno=os.dup(fd)) as listener:
                    listener.shutdown(socket.SHUT_RD)
            except OSError as exc:
                _log(f"could not close the router's listener {fd}: {exc!r}")
    _log(f"SIGTERM: draining (new connections refused, {budget:g} s at most)")
    deadline = time.monotonic() + budget
    quiet_since: float | None = None
    while time.monotonic() < deadline:
        now = time.monotonic()
        if _all_idle(uwsgi):
            quiet_since = quiet_since or now
            if now - quiet_since >= QUIET_S:
                _log("drained: every request received was answered")
                return
        else:
            quiet_since = None
        time.sleep(POLL_S)
    _log(f"drain budget of {budget:g} s spent; stopping with work in flight")


def _take_sigterm(uwsgi: Any) -> None:
    signal.sigwait({signal.SIGTERM})
    drain = threading.Thread(target=_drain, args=(uwsgi,), daemon=True)
    drain.start()
    again = threading.Thread(
        target=signal.sigwait, args=({signal.SIGTERM},), daemon=True
    )
    again.start()
    while drain.is_alive() and again.is_alive():
        drain.join(POLL_S)
    if not again.is_alive():
        _log("second SIGTERM: stopping now")
    os.kill(os.getpid(), signal.SIGINT)  # uWSGI's graceful stop (our hook)


def install() -> bool:
    """In the master: take SIGTERM away from uWSGI and drain on it. Whether
    it was installed (not outside uWSGI, not in a worker)."""
    try:
        uwsgi = _uwsgi()
    except ImportError:
        return False
    if uwsgi.worker_id() != 0 or uwsgi.masterpid() != os.getpid():
        return False
    # every thread started from here on inherits the mask: only ours waits
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    threading.Thread(
        target=_take_sigterm, args=(uwsgi,), name="envoxyd-sigterm", daemon=True
    ).start()
    return True


def release_in_worker() -> None:
    """Forked workers inherit the master's blocked SIGTERM: give it back."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


install()
