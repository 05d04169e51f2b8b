"""A ROUTER socket answering Zapata requests with a bounded pool of threads.

Leader/followers: the one thread holding the socket lock polls the ROUTER,
takes a request, lets the lock go and runs the handler itself; when done it
takes the lock back and sends the reply: no hand-off between threads on the
fast path. A handler still running after ``handoff_ms`` lets a waiting
follower take over the socket, so a slow view never stalls the others; a
reply finished while someone else leads goes through an inproc "doorbell"
to the leader. At most ``workers`` requests run at once; beyond that they
wait in ZeroMQ's queues (backpressure, no unbounded memory). A message
frame over ``max_message_bytes`` (ZMQ_MAXMSGSIZE) is refused by libzmq as its
size arrives, before any memory is taken for it: that peer is disconnected.

Replies echo the request's envelope frames: a REQ client's ``[id, b"", b"",
body]`` is answered ``[id, b"", b"", reply]``, a DEALER's ``[id, b"", body]``
``[id, b"", reply]``. ``stop()`` stops reading new requests, finishes those
in flight within its budget, then closes the sockets.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import zmq

from envoxy.utils.logs import Log
from envoxy.zeromq.settings import SERVER_MAX_MESSAGE_BYTES, SERVER_QUEUE_PER_PEER

__all__ = ["ZapataServer"]

_POLL_MS = 100
# PERF(zmq-*): plain ints; pyzmq's flag enums cost a Python call per "|".
_EVENTS = int(zmq.EVENTS)
_POLLIN = int(zmq.POLLIN)
_RCVMORE = int(zmq.RCVMORE)
_SNDMORE = int(zmq.SNDMORE)
_MAX_FRAMES = 16
_SPIN_WHEN_GAP_S = 0.001
_FOLLOWER_NAP_S = 1.0
_ids = itertools.count(1)


def _receive_all(socket: zmq.Socket[Any]) -> list[bytes]:
    """Every frame of the next message (at most ``_MAX_FRAMES`` are kept)."""
    frames = [socket.recv()]
    while socket.getsockopt(_RCVMORE):
        frame = socket.recv()
        if len(frames) < _MAX_FRAMES:
            frames.append(frame)
        else:  # a flood of envelope frames: keep the first ones and the body
            frames[-1] = frame
    return frames


def _readable(socket: zmq.Socket[Any]) -> bool:
    """A message waits (an option read: no system call, unlike poll)."""
    return bool(int(socket.getsockopt(_EVENTS)) & _POLLIN)


def _send_all(socket: zmq.Socket[Any], frames: list[bytes]) -> None:
    last = len(frames) - 1
    for index in range(last):
        socket.send(frames[index], _SNDMORE)
    socket.send(frames[last])


class ZapataServer:
    """``ZapataServer("tcp://127.0.0.1:0", routes.reply).start()``."""

    def __init__(
        self,
        bind: str,
        reply: Callable[[bytes], bytes],
        workers: int = 8,
        handoff_ms: float = 5.0,
        spin_us: float = 250.0,
        max_message_bytes: int = SERVER_MAX_MESSAGE_BYTES,
        queue_per_peer: int = SERVER_QUEUE_PER_PEER,
    ) -> None:
        if workers < 1:
            raise ValueError("a ZapataServer needs at least one worker")
        if max_message_bytes < 1:
            raise ValueError("max_message_bytes must be positive")
        self._max_message_bytes = max_message_bytes
        self._queue_per_peer = max(1, queue_per_peer)
        self.bind = bind
        self.address = bind
        self._reply = reply
        self._workers = workers
        self._handoff_s = handoff_ms / 1000
        self._spin_s = spin_us / 1e6
        self._replied_at = 0.0
        self._gap = 1.0  # seconds between the last reply and the next request
        self._name = f"zmq-server-{next(_ids)}"
        self._context: zmq.Context[Any] | None = None
        self._bell_address = f"inproc://{self._name}-bell"
        self._socket_lock = threading.Lock()
        self._wake = threading.Condition()
        self._state = threading.Lock()
        self._released_at = 0.0
        self._busy = 0
        self._accepting = False
        self._running = False
        self._threads: list[threading.Thread] = []

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> ZapataServer:
        """Bind and start the workers; ``address`` is then the bound endpoint."""
        context: zmq.Context[Any] = zmq.Context(io_threads=1)
        self._context = context
        router = context.socket(zmq.ROUTER)
        router.setsockopt(zmq.LINGER, 0)
        router.setsockopt(zmq.MAXMSGSIZE, self._max_message_bytes)
        # messages (frames) waiting per peer each way: past it libzmq stops
        # reading that peer (TCP backpressure), so memory stays under
        # peers x queue_per_peer x max_message_bytes
        router.setsockopt(zmq.RCVHWM, self._queue_per_peer)
        router.setsockopt(zmq.SNDHWM, self._queue_per_peer)
        router.bind(self.bind)
        self.socket_options = {
            "MAXMSGSIZE": router.getsockopt(zmq.MAXMSGSIZE),
            "RCVHWM": router.getsockopt(zmq.RCVHWM),
        }
        self.address = router.getsockopt_string(zmq.LAST_ENDPOINT)
        bell = context.socket(zmq.PULL)
        bell.bind(self._bell_address)
        self._poller = zmq.Poller()
        self._poller.register(router, zmq.POLLIN)
        self._poller.register(bell, zmq.POLLIN)
        self._router_poller = zmq.Poller()
        self._router_poller.register(router, zmq.POLLIN)
        self._bell_poller = zmq.Poller()
        self._bell_poller.register(bell, zmq.POLLIN)
        self._accepting = self._running = True
        for index in range(self._workers):
            self._spawn(self._work, f"{self._name}-w{index}", context, router, bell)
        self._spawn(self._watch, f"{self._name}-handoff")
        return self

    def _spawn(self, target: Callable[..., None], name: str, *args: Any) -> None:
        thread = threading.Thread(target=target, name=name, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop taking requests, let those in flight finish (at most ``timeout``
        seconds), close. Whether everything in flight was answered."""
        if not self._running:
            return True
        self._accepting = False
        deadline = time.monotonic() + timeout
        while self.in_flight and time.monotonic() < deadline:
            time.sleep(0.01)
        drained = self.in_flight == 0
        self._running = False
        with self._wake:
            self._wake.notify_all()
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()) + 1.0)
        self._threads.clear()
        if self._context is not None:
            self._context.destroy(linger=0)
            self._context = None
        if not drained:
            Log.warning(f"{self._name}: stopped with requests still running")
        return drained

    @property
    def running(self) -> bool:
        return self._running

    @property
    def in_flight(self) -> int:
        return self._busy

    # -- the workers ---------------------------------------------------------------
    def _work(
        self,
        context: zmq.Context[Any],
        router: zmq.Socket[Any],
        bell: zmq.Socket[Any],
    ) -> None:
        push = context.socket(zmq.PUSH)
        push.setsockopt(zmq.LINGER, 1000)
        push.connect(self._bell_address)
        try:
            while self._running:
                if self._socket_lock.acquire(blocking=False):
                    self._lead(router, bell, push)
                else:
                    with self._wake:
                        self._wake.wait(_FOLLOWER_NAP_S)
        finally:
            push.close()

    def _lead(
        self,
        router: zmq.Socket[Any],
        bell: zmq.Socket[Any],
        push: zmq.Socket[Any],
    ) -> None:
        """Run as the leader (lock held on entry; released on return)."""
        holding = True
        try:
            while self._running:
                # PERF(zmq-roundtrip): ask the sockets first (a cheap option
                # read); poll, which costs a system call, only when both are idle.
                if _readable(bell):
                    self._ring_out(router, bell)
                if not self._accepting:  # stopping: only replies still go out
                    self._bell_poller.poll(_POLL_MS)
                    continue
                if not _readable(router) and not self._spin(router):
                    self._poller.poll(_POLL_MS)
                    continue
                frames = _receive_all(router)
                self._gap = time.perf_counter() - self._replied_at
                with self._state:
                    self._busy += 1
                self._released_at = time.monotonic()
                holding = False
                self._socket_lock.release()
                answer = self._answer(frames)
                if self._socket_lock.acquire(blocking=False):
                    holding = True
                    self._send(router, answer)
                    self._replied_at = time.perf_counter()
                    self._done()
                else:  # someone took over while we worked: the leader sends it
                    push.send_multipart(answer)
                    return
        finally:
            if holding:
                self._socket_lock.release()

    def _spin(self, router: zmq.Socket[Any]) -> bool:
        """Watch the socket for ``spin_us`` before sleeping in poll, but only
        while requests follow replies closely (the last gap under
        ``_SPIN_WHEN_GAP_S``): a busy caller's next request lands within a
        round trip, and waking a sleeping thread (worse, an idle virtual CPU)
        costs more than that. Sparse traffic never spins."""
        if not self._spin_s or self._gap > _SPIN_WHEN_GAP_S:
            return False
        until = time.perf_counter() + self._spin_s
        while time.perf_counter() < until:
            # poll(0) lets the GIL go each turn: other threads of the process
            # (HTTP handlers under envoxyd, an in-process client) keep running.
            if self._router_poller.poll(0):
                return True
            os.sched_yield()  # a spinning server must not starve its callers' CPU
        return False

    def _answer(self, frames: list[bytes]) -> list[bytes]:
        try:
            body = self._reply(frames[-1])
        except Exception as exc:
            Log.error(f"{self._name}: reply failed: {exc!r}")
            body = b'{"status":500,"payload":{"text":"Internal Server Error","code":0}}'
        frames[-1] = body
        return frames

    def _send(self, router: zmq.Socket[Any], frames: list[bytes]) -> None:
        try:
            _send_all(router, frames)
        except zmq.ZMQError as exc:  # the peer went away: its reply is dropped
            Log.warning(f"{self._name}: reply not sent: {exc}")

    def _ring_out(self, router: zmq.Socket[Any], bell: zmq.Socket[Any]) -> None:
        for _ in range(self._workers):  # at most one reply per worker is waiting
            try:
                frames = bell.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            self._send(router, frames)
            self._done()

    def _done(self) -> None:
        with self._state:
            self._busy -= 1

    def _watch(self) -> None:
        """Wake a follower when the leader has been on a request too long."""
        while self._running:
            time.sleep(self._handoff_s)
            if (
                self._busy
                and not self._socket_lock.locked()
                and time.monotonic() - self._released_at >= self._handoff_s
            ):
                with self._wake:
                    self._wake.notify()
