"""What envoxyd tells systemd (``Type=notify``), from uWSGI's master.

- ``READY=1`` once the daemon serves: ``GET /_health`` through its own HTTP
  address answers 200 (so the workers have loaded the service);
- ``WATCHDOG=1`` every half interval while that check passes
  (envoxy.utils.watchdog): the interval is ``keep_alive`` or
  ``boot[0].keep_alive`` in seconds, else systemd's own ``WatchdogSec``
  (``$WATCHDOG_USEC``); when the workers stop answering the pings stop, and
  systemd restarts the service at ``WatchdogSec``;
- ``STOPPING=1`` when a SIGTERM begins the drain (envoxyd.master).

Without ``$NOTIFY_SOCKET`` (not under systemd) nothing is started.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from envoxy.utils.config import Config, boot_entry
from envoxy.utils.uwsgi import option
from envoxy.utils.watchdog import Watchdog, health_check, notify

__all__ = ["interval", "start", "stopping"]

#: how often the master asks whether the daemon serves yet
READY_POLL_S = 0.1

_state: dict[str, Any] = {"watchdog": None, "stopping": threading.Event()}


def interval(config: Any, environ: Any = None) -> float:
    """Seconds between two required pings (0: no watchdog)."""
    environ = os.environ if environ is None else environ
    for value in (config.get("keep_alive"), boot_entry(config).get("keep_alive")):
        if value:
            return float(value)
    usec = environ.get("WATCHDOG_USEC")
    return int(usec) / 1_000_000 if usec and usec.isdigit() else 0.0


def _own_address() -> str | None:
    bind = option("http") or option("http-socket")
    return bind or None


def _supervise(check: Callable[[], bool], every: float) -> None:
    stopping = _state["stopping"]
    while not stopping.is_set() and not check():
        stopping.wait(READY_POLL_S)
    if stopping.is_set():
        return
    notify("READY=1")
    notify("STATUS=serving")
    if every > 0:
        watchdog = Watchdog(every, check)
        _state["watchdog"] = watchdog
        watchdog.start()


def start() -> bool:
    """In the master: tell systemd as the module docstring says; whether
    anything was started. The config is read and the check built (its
    imports done) here, in the master's main thread: uWSGI forks workers at
    any time, and a child inheriting a lock a thread held mid-import or
    mid-parse would hang."""
    if not os.environ.get("NOTIFY_SOCKET"):
        return False
    bind = _own_address()
    if bind is None:
        notify("READY=1")  # no HTTP to ask: started is all that can be said
        return True
    try:
        config = Config.load()
    except ValueError as exc:  # checked at boot; never block the daemon on it
        notify(f"STATUS=config not read for the watchdog: {exc}")
        config = {}
    every = interval(config)
    check = health_check(bind, timeout=min(5.0, max(0.05, every / 2 or 5.0)))
    threading.Thread(
        target=_supervise, args=(check, every), name="envoxyd-systemd", daemon=True
    ).start()
    return True


def stopping() -> None:
    """The stop began: ``STOPPING=1``, and no more pings."""
    _state["stopping"].set()
    watchdog = _state["watchdog"]
    if watchdog is not None:
        watchdog.stop()
    notify("STOPPING=1")
