"""Deadlines on request-body reads: one thread per process cuts the reads that
go on too long.

uWSGI reads a body with a timeout per ``read()`` only, so a client sending one
byte a second keeps a worker thread forever (until harakiri kills the whole
worker, events included). Here each read of a body is watched: still going
after ``slow_after`` seconds it needs a *slow-body slot* (at most a few per
worker); without one, or past its total deadline, the watcher shuts down the
read side of that connection, the blocked read fails at once, and the request
is answered 503 or 408. The other thread(s) of the worker never wait on a slow
client.

The watcher acts under the same lock ``finish`` takes, and the request thread
calls ``finish`` before its connection can be closed, so a descriptor is never
touched after it may have been reused.
"""

from __future__ import annotations

import heapq
import itertools
import os
import socket
import threading
import time
from typing import Any

from envoxy.utils.logs import log

__all__ = ["BUSY", "TIMED_OUT", "BodyWatch", "Ticket", "body_watch"]

BUSY = "busy"
TIMED_OUT = "timeout"


class Ticket:
    """One body read being watched."""

    __slots__ = ("cut", "done", "fd", "slots", "slow", "timeout_at")

    def __init__(self, fd: int, timeout_at: float, slots: Any) -> None:
        self.fd = fd
        self.timeout_at = timeout_at
        self.slots = slots
        self.slow = False  # holds one of ``slots``
        self.done = False
        self.cut: str | None = None  # BUSY or TIMED_OUT once the watcher acted


class BodyWatch:
    """The process's watcher thread and its queue of deadlines."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._cond = threading.Condition()
        self._queue: list[tuple[float, int, Ticket]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, fd: int, slow_after: float, timeout: float, slots: Any) -> Ticket:
        """Start watching the read of connection ``fd`` (a ``BoundedSemaphore``
        of slow-body ``slots``); call ``finish`` when the read is over."""
        now = time.monotonic()
        ticket = Ticket(fd, now + timeout, slots)
        with self._cond:
            self._push(now + min(slow_after, timeout), ticket)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="envoxy-body-watch", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        return ticket

    def finish(self, ticket: Ticket) -> None:
        with self._cond:
            ticket.done = True
            if ticket.slow:
                ticket.slow = False
                ticket.slots.release()

    def _push(self, when: float, ticket: Ticket) -> None:
        heapq.heappush(self._queue, (when, next(self._order), ticket))

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                while self._queue and self._queue[0][0] <= now:
                    _, _, ticket = heapq.heappop(self._queue)
                    if not ticket.done:
                        self._expire(ticket, now)
                wait = self._queue[0][0] - now if self._queue else None
                self._cond.wait(wait)

    def _expire(self, ticket: Ticket, now: float) -> None:
        if ticket.slow or now >= ticket.timeout_at:
            self._cut(ticket, TIMED_OUT)
        elif ticket.slots.acquire(blocking=False):
            ticket.slow = True
            self._push(ticket.timeout_at, ticket)
        else:
            self._cut(ticket, BUSY)

    @staticmethod
    def _cut(ticket: Ticket, reason: str) -> None:
        ticket.cut = reason
        try:
            with socket.socket(fileno=os.dup(ticket.fd)) as connection:
                connection.shutdown(socket.SHUT_RD)
        except OSError as exc:  # the client went away meanwhile: nothing to cut
            log.debug(f"http: could not cut a slow body read: {exc!r}")


body_watch = BodyWatch()
os.register_at_fork(after_in_child=body_watch._reset)
