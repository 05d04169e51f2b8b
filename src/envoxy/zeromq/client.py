"""One Zapata server as zmqc sees it: a pool of REQ sockets and bounded retries.

Each request borrows a REQ socket (created on first use, at most
``pool_size``), sends ``[b"", body]`` and waits for ``[b"", reply]`` at most
one attempt's timeout. A socket that timed out or got a bad reply is closed
(a REQ socket cannot send again before it receives: the lazy-pirate reset);
the next attempt gets a fresh one. Only idempotent performatives are resent.
A forked child starts with an empty pool: sockets never cross a fork.
"""

from __future__ import annotations

import queue
import threading
import time
import weakref
from typing import Any

import zmq

from envoxy.constants import Performative
from envoxy.utils.logs import Log
from envoxy.utils.retry import Retryable, retry
from envoxy.zeromq.codec import decode_reply
from envoxy.zeromq.errors import NoSocketException, ZapataError
from envoxy.zeromq.settings import MAX_BACKOFF_MS, ServerSettings

__all__ = ["IDEMPOTENT", "ServerClient", "context"]

#: Performatives safe to send twice (a lost reply may mean the server ran it).
IDEMPOTENT = frozenset(
    {
        Performative.GET,
        Performative.HEAD,
        Performative.PUT,
        Performative.DELETE,
        Performative.OPTIONS,
        Performative.SEARCH,
        Performative.TRACE,
    }
)

_SNDMORE = int(zmq.SNDMORE)
_RCVMORE = int(zmq.RCVMORE)
_context: zmq.Context[Any] | None = None
_context_lock = threading.Lock()
_clients: weakref.WeakSet[ServerClient] = weakref.WeakSet()


def context() -> zmq.Context[Any]:
    """This process's ZeroMQ context (made on first use, never at import)."""
    global _context
    with _context_lock:
        if _context is None or _context.closed:
            _context = zmq.Context(io_threads=1)
        return _context


def forget_after_fork() -> None:
    """ZeroMQ contexts and sockets must not be used across fork: drop them
    (envoxy.connectors calls this in every forked child)."""
    global _context, _context_lock
    _context = None
    _context_lock = threading.Lock()
    for client in list(_clients):
        client.forget_sockets()


class _Slot:
    """A REQ socket and the receive timeout currently set on it."""

    __slots__ = ("socket", "timeout_ms")

    def __init__(self, socket: zmq.Socket[Any], timeout_ms: int) -> None:
        self.socket = socket
        self.timeout_ms = timeout_ms


class ServerClient:
    """Requests to one ``zmq_servers`` entry; safe to share between threads."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._closed = False
        self._free: queue.SimpleQueue[_Slot | None] = queue.SimpleQueue()
        self._open: set[_Slot] = set()
        self._fill()
        _clients.add(self)

    def _fill(self) -> None:
        self._free = queue.SimpleQueue()
        for _ in range(self.settings.pool_size):
            self._free.put(None)  # a permit: the socket is made on first use

    def forget_sockets(self) -> None:
        """After fork: the parent's sockets are not ours; start a fresh pool."""
        self._open = set()
        self._lock = threading.Lock()
        self._fill()

    def close(self) -> None:
        """Close every socket; requests in flight fail, later ones too."""
        with self._lock:
            self._closed = True
            slots, self._open = self._open, set()
        for slot in slots:
            slot.socket.close(linger=0)

    def request(self, body: bytes, performative: int) -> dict[str, Any]:
        """Send one encoded request; the decoded reply, or ``NoSocketException``
        once attempts or the deadline run out (never waits past the deadline)."""
        settings = self.settings
        start = time.monotonic()
        deadline = start + settings.deadline_ms / 1000
        attempts = 1 + (settings.retries if performative in IDEMPOTENT else 0)
        tried = [0]

        def attempt() -> dict[str, Any]:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Retryable("the deadline passed")
            tried[0] += 1
            outcome = self._attempt(body, remaining)
            if isinstance(outcome, dict):
                return outcome
            Log.warning(
                f"zmqc: {settings.key} ({settings.address}) attempt {tried[0]}"
                f" of {attempts} failed: {outcome}"
            )
            raise Retryable(outcome)

        try:
            return retry(
                attempt,
                attempts - 1,
                retry_on=Retryable,
                backoff_s=settings.backoff_ms / 1000,
                max_backoff_s=MAX_BACKOFF_MS / 1000,
                deadline=deadline,
                where=f"zmqc {settings.key}",
            )
        except Retryable as failed:
            problem = str(failed)
        waited = int((time.monotonic() - start) * 1000)
        raise NoSocketException(
            f"Service Unavailable: zmq server {settings.key!r} at "
            f"{settings.address} gave no reply ({problem}; {waited} ms)"
        )

    def _attempt(self, body: bytes, remaining: float) -> dict[str, Any] | str:
        """One send/receive; the reply, or why it failed (the socket is reset)."""
        try:
            slot = self._free.get(timeout=remaining)
        except queue.Empty:
            return f"all {self.settings.pool_size} sockets stayed busy"
        timeout_ms = max(1, min(self.settings.timeout_ms, int(remaining * 1000)))
        good = False
        try:
            if slot is None:
                slot = self._new_slot(timeout_ms)
            elif slot.timeout_ms != timeout_ms:
                slot.socket.setsockopt(zmq.RCVTIMEO, timeout_ms)
                slot.timeout_ms = timeout_ms
            socket = slot.socket
            # PERF(zmq-roundtrip): two plain sends and receives with int flags
            # (send_multipart/recv_multipart loop in Python over IntFlag enums).
            socket.send(b"", _SNDMORE)
            socket.send(body)
            delimiter = socket.recv()
            if delimiter or not socket.getsockopt(_RCVMORE):
                return "unexpected reply framing (no empty delimiter frame)"
            frame = socket.recv()
            if socket.getsockopt(_RCVMORE):
                return "unexpected reply framing (more than one body frame)"
            reply = decode_reply(frame)
            good = True
            return reply
        except zmq.Again:
            return f"no reply within {timeout_ms} ms"
        except ZapataError as exc:
            return f"malformed reply: {exc}"
        except zmq.ZMQError as exc:
            return f"socket error: {exc}"
        finally:
            self._release(slot, good)

    def _new_slot(self, timeout_ms: int) -> _Slot:
        with self._lock:
            if self._closed:
                raise zmq.ZMQError(zmq.ENOTSOCK, "the client is closed")
            socket = context().socket(zmq.REQ)
            socket.setsockopt(zmq.LINGER, 0)
            socket.setsockopt(zmq.RCVTIMEO, timeout_ms)
            socket.setsockopt(zmq.SNDTIMEO, timeout_ms)
            socket.setsockopt(zmq.MAXMSGSIZE, self.settings.max_message_bytes)
            socket.connect(self.settings.address)
            slot = _Slot(socket, timeout_ms)
            self._open.add(slot)
            return slot

    def _release(self, slot: _Slot | None, good: bool) -> None:
        if slot is not None and not good:
            with self._lock:
                self._open.discard(slot)
            slot.socket.close(linger=0)
            slot = None
        self._free.put(slot)
