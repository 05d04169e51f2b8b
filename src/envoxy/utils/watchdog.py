"""systemd's notify protocol, spoken directly, and upstream's ``Watchdog``.

``notify("READY=1")`` sends one datagram to ``$NOTIFY_SOCKET`` (a path, or
``@name`` for the abstract namespace), as ``sd_notify(3)`` does; without the
variable it does nothing and says so (``False``). No compiled systemd
bindings are needed.

``Watchdog(interval, check=None).start()`` runs a daemon thread named
``watchdog`` that every ``interval / 2`` seconds calls ``check()`` and sends
``WATCHDOG=1`` only when it passed: when the service stops answering, the
pings stop and systemd (``WatchdogSec=``) restarts it; when it answers again
before that, they resume. (Upstream pinged through three failed checks and
then stopped for good.) The default check is upstream's: ``GET /_health`` on
``boot[0].http.bind`` answering 200. envoxyd runs one in its master with the
daemon's own address (envoxyd.master).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from typing import Any

from envoxy.utils.config import Config, boot_entry
from envoxy.utils.logs import Log

__all__ = ["Watchdog", "health_check", "notify"]

#: the longest one health check may take
CHECK_TIMEOUT_S = 5.0


def notify(message: str, environ: Any = None) -> bool:
    """Send ``message`` (``READY=1``, ``WATCHDOG=1``, ``STOPPING=1``...) to
    systemd; whether it was sent."""
    address = (os.environ if environ is None else environ).get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(message.encode("utf-8"))
    except OSError as exc:
        Log.warning(f"sd_notify {message.split('=')[0]}: {exc!r}")
        return False
    return True


def _address(bind: str) -> tuple[str, int] | None:
    """``(host, port)`` of a plain ``:8080`` / ``host:port`` bind; ``None``
    for a URL."""
    if "://" in bind:
        return None
    host, _, port = bind.rpartition(":")
    try:
        return (host or "127.0.0.1", int(port))
    except ValueError:
        return None


def _raw_get(address: tuple[str, int], timeout: float) -> bool:
    """``GET /_health`` with a bare socket: no TLS, no opener, no imports in
    the calling thread (envoxyd's master forks workers at any time, and a
    child inheriting a lock a thread held would hang)."""
    try:
        with socket.create_connection(address, timeout=timeout) as sock:
            sock.sendall(
                b"GET /_health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            )
            head = sock.recv(64)
    except OSError:
        return False
    return head.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200"))


def health_check(bind: str, timeout: float = CHECK_TIMEOUT_S) -> Callable[[], bool]:
    """A check: ``GET /_health`` on ``bind`` (``:8080``, ``host:port`` or an
    http(s) URL) answers 200 within ``timeout``."""
    address = _address(bind)
    if address is not None:
        return lambda: _raw_get(address, timeout)
    # PERF(import): urllib.request adds ~5 ms to `import envoxy` (which
    # exports Watchdog); only a URL bind needs it
    import urllib.error
    import urllib.request

    url = bind.rstrip("/") + "/_health"

    def check() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as reply:  # noqa: S310
                return bool(reply.status == 200)
        except (OSError, urllib.error.URLError, ValueError):
            return False

    return check


def _configured_check() -> Callable[[], bool] | None:
    bind = (boot_entry(Config.load()).get("http") or {}).get("bind")
    return health_check(str(bind)) if bind else None


class Watchdog:
    """Upstream's ``Watchdog(interval)``: ``WATCHDOG=1`` while healthy."""

    def __init__(self, interval: Any, check: Callable[[], bool] | None = None) -> None:
        try:
            self.interval = float(interval) if interval is not None else 0.0
        except (TypeError, ValueError):
            self.interval = 0.0
        self.check = check
        self._stop = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> bool:
        """Start pinging; whether a watchdog now runs (``interval`` must be
        positive, and one per process)."""
        if self.interval <= 0:
            Log.verbose("watchdog not enabled (no keep_alive)")
            return False
        if any(t.name == "watchdog" and t.is_alive() for t in threading.enumerate()):
            return False
        if not os.environ.get("NOTIFY_SOCKET"):
            Log.warning("watchdog: NOTIFY_SOCKET is not set; nothing will be told")
        if self.check is None:
            self.check = _configured_check() or (lambda: True)
        self.thread = threading.Thread(target=self._run, name="watchdog", daemon=True)
        self.thread.start()
        return True

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        period = max(0.05, self.interval / 2)
        healthy = True
        while not self._stop.is_set():
            ok = bool(self.check and self.check())
            if ok:
                notify("WATCHDOG=1")
            elif healthy:
                Log.warning("watchdog: the health check failed; not pinging systemd")
            healthy = ok
            self._stop.wait(period)
