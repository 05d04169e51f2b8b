"""Deadlines for blocking I/O: one thread per process runs an action when a
deadline passes, unless it was cancelled first.

Blocking reads inside C code (uWSGI reading a request body, libpq waiting for
a reply) cannot be interrupted from Python, but they end at once when their
socket is shut down from another thread (``cut``). That is what the actions
here do. Actions run in the deadline thread while it holds the lock that
``cancel`` takes, and callers cancel before their socket can be closed, so an
action never touches a descriptor that may have been reused.
"""

from __future__ import annotations

import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable

from envoxy.utils.logs import log

__all__ = ["Deadline", "Deadlines", "cut", "deadlines"]


class Deadline:
    """One armed deadline; ``fired`` once its action ran."""

    __slots__ = ("action", "done", "fired", "when")

    def __init__(self, when: float, action: Callable[[Deadline], None]) -> None:
        self.when = when
        self.action = action
        self.done = False
        self.fired = False


class Deadlines:
    """The process's deadline thread and its queue."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._cond = threading.Condition(threading.RLock())
        self._queue: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float, action: Callable[[Deadline], None]) -> Deadline:
        """Run ``action(deadline)`` in ``seconds`` unless cancelled first."""
        deadline = Deadline(time.monotonic() + seconds, action)
        self.rearm(deadline, deadline.when)
        return deadline

    def rearm(self, deadline: Deadline, when: float) -> None:
        """Run the action again at ``when`` (monotonic); an action may call it."""
        with self._cond:
            deadline.when = when
            queue = self._queue
            heapq.heappush(queue, (when, next(self._order), deadline))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="envoxy-deadlines", daemon=True
                )
                self._thread.start()
            # PERF(http-request): the thread sleeps until the earliest deadline;
            # only a new earliest one needs to wake it (no wake-up per request)
            if queue[0][2] is deadline:
                self._cond.notify()

    def cancel(self, deadline: Deadline) -> bool:
        """No action runs after this returns; whether one already ran."""
        with self._cond:
            deadline.done = True
            queue = self._queue
            # deadlines of one kind end in the order they began: the finished
            # ones leave from the front, so the queue holds the live ones only
            while queue and (queue[0][2].done or queue[0][0] != queue[0][2].when):
                heapq.heappop(queue)
            return deadline.fired

    def pending(self) -> int:
        """Entries still queued (cancelled ones behind a live one included)."""
        with self._cond:
            return len(self._queue)

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                while self._queue and self._queue[0][0] <= now:
                    when, _, deadline = heapq.heappop(self._queue)
                    if deadline.done or when != deadline.when:
                        continue  # cancelled, or re-armed for later
                    deadline.fired = True
                    try:
                        deadline.action(deadline)
                    except Exception as exc:  # one action must not stop the rest
                        log.error(f"deadline action failed: {exc!r}")
                wait = self._queue[0][0] - now if self._queue else None
                self._cond.wait(wait)


def cut(fd: int, how: int = socket.SHUT_RDWR) -> None:
    """Shut down the socket ``fd`` (``SHUT_RD``: only its reading side, so an
    answer can still be written); the descriptor stays open for its owner,
    and a read (or write) blocked on it returns at once."""
    try:
        with socket.socket(fileno=os.dup(fd)) as connection:
            connection.shutdown(how)
    except OSError as exc:  # the peer went away meanwhile: nothing to cut
        log.debug(f"could not cut socket {fd}: {exc!r}")


deadlines = Deadlines()
os.register_at_fork(after_in_child=deadlines._reset)
