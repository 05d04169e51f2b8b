"""Deadlines on request-body reads: a slow body holds at most a few of a
worker's threads, and none for long.

uWSGI reads a body with a timeout per ``read()`` only, so a client sending one
byte a second keeps a worker thread forever (until harakiri kills the whole
worker, events included). Here each body read is watched (envoxy.utils.
deadlines): still going after ``slow_after`` seconds it needs a *slow-body
slot* (a few per worker); without one, or past its total deadline, the read
side of that connection is shut down, the blocked read fails at once, and the
request is answered 503 or 408. The worker's other thread(s) never wait on a
slow client.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from envoxy.utils.deadlines import Deadline, cut, deadlines

__all__ = ["BUSY", "TIMED_OUT", "Ticket", "finish", "watch"]

BUSY = "busy"
TIMED_OUT = "timeout"


class Ticket:
    """One body read being watched; ``cut`` says why it was cut, if it was."""

    __slots__ = ("cut", "deadline", "fd", "slots", "slow", "timeout_at")

    def __init__(self, fd: int, timeout_at: float, slots: Any) -> None:
        self.fd = fd
        self.timeout_at = timeout_at
        self.slots = slots
        self.slow = False  # holds one of ``slots``
        self.cut: str | None = None
        self.deadline: Deadline | None = None

    def expire(self, deadline: Deadline) -> None:
        """The deadline action (run under the deadline lock)."""
        if self.slow or time.monotonic() >= self.timeout_at:
            self._cut(TIMED_OUT)
        elif self.slots.acquire(blocking=False):
            self.slow = True
            deadlines.rearm(deadline, self.timeout_at)
        else:
            self._cut(BUSY)

    def _cut(self, reason: str) -> None:
        self.cut = reason
        cut(self.fd, socket.SHUT_RD)  # the answer can still be written


def watch(fd: int, slow_after: float, timeout: float, slots: Any) -> Ticket:
    """Start watching the body read on connection ``fd`` (``slots``: the
    worker's ``BoundedSemaphore`` of slow-body slots); ``finish`` it after."""
    ticket = Ticket(fd, time.monotonic() + timeout, slots)
    ticket.deadline = deadlines.arm(min(slow_after, timeout), ticket.expire)
    return ticket


def finish(ticket: Ticket) -> None:
    """The read is over: no cut after this, and a held slot is given back."""
    if ticket.deadline is not None:
        deadlines.cancel(ticket.deadline)
    if ticket.slow:  # only expire() sets it, and it can no longer run
        ticket.slow = False
        ticket.slots.release()
