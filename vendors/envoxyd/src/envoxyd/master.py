"""What envoxyd runs in uWSGI's master (``--shared-import envoxyd.master``):
a SIGTERM that drains before it stops, and envoxy's libraries loaded once.

uWSGI's graceful stop lets each worker finish the request it is running, then
ends: requests the router had already received and queued for a busy worker
(keep-alive clients, bursts) got a bare connection close. Here SIGTERM is
taken by a thread of the master (blocked in every other thread, so uWSGI's
own handler never sees it) and the stop goes in steps:

1. ``/_health/ready`` answers 503 ``draining`` from now on (a flag in the
   uWSGI cache), so load balancers stop sending new work;
2. the workers go on serving, new requests included, until every one of them
   has been idle for ``QUIET_S`` (nothing queued is left: an idle worker
   thread takes a queued request within microseconds), or
   ``envoxyd.drain_seconds`` have passed;
3. uWSGI's graceful stop (the SIGINT hook): workers finish, run their
   shutdown (envoxyd.lifecycle), the master exits 0.

Under systemd the master also says ``READY=1``, pings the watchdog and says
``STOPPING=1`` at the SIGTERM (envoxyd.supervision).

A second SIGTERM during the drain skips to step 3. (Shutting the router's
listening socket instead would refuse new clients at once, but the router
then spins on it at a full core: measured, so not done.)

Workers load the service themselves (``--lazy-apps``, so SIGHUP's chain
reload brings new code and config); the libraries every service uses are
imported here once (``PRELOAD``), so a worker starts in milliseconds instead
of seconds (inflect alone, type-checked at import, took 2.2 s per worker).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

from envoxy.utils.uwsgi import option
from envoxyd import supervision

__all__ = ["DRAINING_KEY", "PRELOAD", "install", "is_draining"]

QUIET_S = 0.3
POLL_S = 0.05
DRAIN_OPTION = "envoxyd-drain-seconds"
DEFAULT_DRAIN_S = 20.0
STATUS_CACHE = "envoxyd"  # the --cache2 envoxyd.cli sets up
DRAINING_KEY = "draining"

#: imported in the master before the workers fork (no I/O, no threads at
#: import): what a service's boot would otherwise import in every worker
PRELOAD = (
    "envoxy",
    "envoxy.http.app",
    "envoxy.db.orm",
    "envoxy.db.orm.base",
    "envoxy.db.orm.session",
    "envoxy.cache.store",
    "envoxy.auth.decorators",
    "envoxyd.boot",
    "envoxyd.health",
    "envoxyd.lifecycle",
)


def _uwsgi() -> Any:
    import uwsgi  # type: ignore[import-not-found]

    return uwsgi


def _log(message: str) -> None:
    # the master has no envoxy logging set up: uWSGI's own log line
    _uwsgi().log(f"envoxyd: {message}")


def _drain_budget(uwsgi: Any) -> float:
    try:
        return float(option(DRAIN_OPTION) or DEFAULT_DRAIN_S)
    except ValueError:
        return DEFAULT_DRAIN_S


def _all_idle(uwsgi: Any) -> bool:
    return all(
        worker["status"] != b"busy" for worker in uwsgi.workers() if worker["pid"]
    )


def is_draining() -> bool:
    """Whether a SIGTERM drain is under way (any process of the daemon)."""
    try:
        return bool(_uwsgi().cache_get(DRAINING_KEY, STATUS_CACHE))
    except (ImportError, ValueError, SystemError):  # not uWSGI, or no such cache
        return False


def _drain(uwsgi: Any) -> None:
    budget = _drain_budget(uwsgi)
    try:
        uwsgi.cache_update(DRAINING_KEY, b"1", 0, STATUS_CACHE)
    except Exception as exc:  # readiness stays as it is; the drain goes on
        _log(f"could not mark the drain for readiness: {exc!r}")
    _log(f"SIGTERM: draining (readiness 503, {budget:g} s at most)")
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
    supervision.stopping()  # systemd: STOPPING=1, no more watchdog pings
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


def _preload() -> None:
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception as exc:  # the worker imports it again and says why
            _log(f"could not preload {name}: {exc!r}")


def install() -> bool:
    """In the master: preload envoxy, take SIGTERM away from uWSGI and drain
    on it. Whether it was installed (not outside uWSGI, not in a worker)."""
    try:
        uwsgi = _uwsgi()
    except ImportError:
        return False
    if uwsgi.worker_id() != 0 or uwsgi.masterpid() != os.getpid():
        return False
    _preload()
    # every thread started from here on inherits the mask: only ours waits
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    threading.Thread(
        target=_take_sigterm, args=(uwsgi,), name="envoxyd-sigterm", daemon=True
    ).start()
    supervision.start()  # READY=1 and the watchdog, under systemd
    return True


def release_in_worker() -> None:
    """Forked workers inherit the master's blocked SIGTERM: give it back."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


install()
