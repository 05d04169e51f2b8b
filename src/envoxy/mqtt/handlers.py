"""Incoming messages: routed by the compiled router, run on a bounded pool.

The network thread only decodes and routes: JSON is decoded once per message,
then each matching handler runs on a worker. When every worker is busy and the
queue is full, the network thread waits (backpressure through TCP) instead of
queueing without bound. A QoS 1/2 message is acknowledged only once its
handlers have run (envoxy.mqtt.acks). A malformed payload or a failing handler is logged
with its topic and dropped; nothing stops the consumer. Payloads are JSON,
never unpickled.
"""

from __future__ import annotations

import collections
import threading
import traceback
from collections.abc import Callable
from typing import Any

import orjson

from envoxy.mqtt.acks import Delivery
from envoxy.mqtt.reader import WireMessage
from envoxy.routing import Router
from envoxy.routing.grammar import Endpoint, parse_topic
from envoxy.utils.logs import log
from envoxy.views.dispatch import accepted_keywords, fit_keywords

__all__ = ["BoundedPool", "Handler", "MessageRouter"]


DATA = "data"  # handler(data, topic=..., **params)
PAHO = "paho"  # handler(client, userdata, message): upstream's callback style


class Handler:
    """A routed handler: its function, its style and the keywords it takes
    (``None``: any), decided once (dispatch core). Equal by function and
    style, which is what ``remove`` looks for. A slotted class: one is made
    per subscription (mqtt-subscribe-100000)."""

    __slots__ = ("accepted", "func", "style")

    def __init__(
        self,
        func: Callable[..., Any],
        style: str,
        accepted: frozenset[str] | None = None,
    ) -> None:
        self.func = func
        self.style = style
        self.accepted = accepted

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Handler):
            return NotImplemented
        return self.func == other.func and self.style == other.style

    def __hash__(self) -> int:
        return hash((self.func, self.style))

    def __repr__(self) -> str:
        return f"Handler({self.name}, {self.style})"

    @property
    def name(self) -> str:
        return getattr(self.func, "__qualname__", repr(self.func))


class BoundedPool:
    """Handler threads taking tasks from one queue, in arrival order.

    ``submit`` never blocks while fewer than ``queue`` tasks wait; at
    ``queue`` it waits for a worker to take one (backpressure: the network
    thread stops reading). At most ``workers`` threads, started as tasks
    come. A handoff is an append to a deque, and a wake only for a worker
    that is asleep: a busy worker takes the next task itself, so a burst
    costs a few wakes, not one per message (what a ``ThreadPoolExecutor``
    with a semaphore paid: a future, a callback and two lock round trips
    each), while a message behind a slow handler still goes to another
    worker at once.
    """

    def __init__(self, workers: int = 8, queue: int = 256, name: str = "mqtt") -> None:
        self._max_workers = max(1, workers)
        self._limit = max(1, queue)
        self._name = name
        self._tasks: collections.deque[tuple[Callable[..., Any], tuple[Any, ...]]] = (
            collections.deque()
        )
        self._lock = threading.Lock()  # idle count, thread starts, space waits
        self._wake = threading.Semaphore(0)
        self._space = threading.Condition(self._lock)
        self._idle = 0  # workers asleep on _wake (and not yet woken)
        self._space_wanted = False
        self._threads: list[threading.Thread] = []
        self._closed = False

    def submit(self, func: Callable[..., Any], *args: Any) -> bool:
        """Run ``func(*args)`` on a worker; blocks while ``queue`` tasks wait."""
        if self._closed:
            return False
        tasks = self._tasks
        if len(tasks) >= self._limit and not self._wait_for_space():
            return False
        tasks.append((func, args))
        if self._idle or len(self._threads) < self._max_workers:
            self._help()  # read after the append: see _sleep
        return True

    def _help(self) -> None:
        """Wake a sleeping worker, or start one."""
        with self._lock:
            if self._idle:
                self._idle -= 1
                self._wake.release()
            elif len(self._threads) < self._max_workers and not self._closed:
                thread = threading.Thread(
                    target=self._work,
                    name=f"envoxy-{self._name}_{len(self._threads)}",
                    daemon=True,
                )
                self._threads.append(thread)
                thread.start()

    def _wait_for_space(self) -> bool:
        with self._lock:
            while len(self._tasks) >= self._limit and not self._closed:
                self._space_wanted = True
                self._space.wait(1.0)
            return not self._closed

    def _work(self) -> None:
        tasks = self._tasks
        while True:
            try:
                func, args = tasks.popleft()
            except IndexError:
                if self._sleep():
                    continue
                return
            if self._space_wanted:
                with self._lock:
                    self._space_wanted = False
                    self._space.notify_all()
            try:
                func(*args)
            except Exception as exc:  # tasks log their own; the worker lives on
                log.error(f"{self._name}: a task failed: {exc!r}")

    def _sleep(self) -> bool:
        """Nothing to do: sleep until woken; ``False`` once closed and drained."""
        with self._lock:
            if self._closed and not self._tasks:
                return False
            # asleep first, then look again: a submit that saw no sleeper
            # appended before this look (so its task is seen here); one that
            # appends after it sees this sleeper and wakes it
            self._idle += 1
            if self._tasks:
                self._idle -= 1
                return True
        self._wake.acquire()
        return True

    def shutdown(self, wait: bool = True) -> None:
        """Stop taking tasks; ``wait``: run what is queued and join the
        workers, else drop it (never run, so never acknowledged)."""
        with self._lock:
            self._closed = True
            if not wait:
                self._tasks.clear()
            for _ in range(self._idle):
                self._wake.release()
            self._idle = 0
            self._space.notify_all()
            threads = list(self._threads)
        if wait:
            for thread in threads:
                thread.join()


class MessageRouter:
    """Handlers by server key and topic pattern."""

    def __init__(self, pool: BoundedPool) -> None:
        self.pool = pool
        self._routers: dict[str, Any] = {}
        self._lock = threading.RLock()  # add/remove take it, and so does _router
        self._handlers: dict[tuple[Any, str], Handler] = {}

    def _router(self, server_key: str) -> Any:
        router = self._routers.get(server_key)
        if router is None:
            with self._lock:
                router = self._routers.setdefault(server_key, Router())
        return router

    def add(
        self,
        server_key: str,
        pattern: str,
        func: Callable[..., Any],
        style: str = DATA,
        parsed: Endpoint | None = None,
    ) -> None:
        """Route ``pattern`` (the one endpoint grammar: ``{name}``,
        ``{name:type}``, ``+``, ``#``, ``$share/``) to ``func``. ``parsed``:
        ``parse_topic(pattern)``, when the caller has it already."""
        if parsed is None:
            parsed = parse_topic(pattern)
        handler = self._handler(func, style)
        with self._lock:
            router = self._routers.get(server_key)
            if router is None:
                router = self._routers[server_key] = Router()
            router.add(parsed.pattern, handler, parsed.captures)

    def _handler(self, func: Callable[..., Any], style: str) -> Handler:
        """One ``Handler`` per function and style, however many topics it
        serves (mqtt-subscribe-100000); an unhashable callable gets its own."""
        try:
            handler = self._handlers.get((func, style))
        except TypeError:
            handler, func_key = None, None
        else:
            func_key = func
        if handler is None:
            accepted = accepted_keywords(func) if style == DATA else None
            handler = Handler(func, style, accepted)
            if func_key is not None:
                self._handlers[func_key, style] = handler
        return handler

    def remove(
        self, server_key: str, pattern: str, func: Callable[..., Any] | None = None
    ) -> int:
        routed = parse_topic(pattern).pattern
        with self._lock:
            router = self._router(server_key)
            if func is None:
                return int(router.remove(routed))
            return int(
                router.remove(routed, Handler(func, DATA))
                + router.remove(routed, Handler(func, PAHO))
            )

    def dispatch(
        self,
        server_key: str,
        client: Any,
        userdata: Any,
        message: Any,
        delivery: Delivery | None = None,
    ) -> int:
        """Route one paho message; how many handlers it was handed to. A QoS 1/2
        ``delivery`` is held by each handler until it has run
        (envoxy.mqtt.acks), and released here once all are handed."""
        try:
            topic = message.topic
            return self._route(
                server_key, client, userdata, topic, message.payload, message, delivery
            )
        finally:
            if delivery is not None:
                delivery.release()

    def deliver(
        self,
        server_key: str,
        client: Any,
        userdata: Any,
        topic: str | bytes,
        payload: bytes | None,
        command: int,
        mid: int,
        properties: bytes | None,
        delivery: Delivery | None = None,
    ) -> int:
        """Route one PUBLISH framed by envoxy.mqtt.reader, as ``dispatch`` does;
        a paho message is made only for a handler that takes one. ``topic``
        bytes (not UTF-8) or a ``None`` payload (over the size limit, logged by
        the reader) are dropped, and acknowledged."""
        try:
            return self._route(
                server_key,
                client,
                userdata,
                topic,
                payload,
                (command, mid, properties),
                delivery,
            )
        finally:
            if delivery is not None:
                delivery.release()

    def _route(
        self,
        server_key: str,
        client: Any,
        userdata: Any,
        topic: str | bytes,
        payload: bytes | None,
        packet: Any,
        delivery: Delivery | None,
    ) -> int:
        if payload is None:
            return 0  # over max_message_bytes: the reader said so
        if isinstance(topic, bytes):
            log.warning(
                f"mqtt: dropped a message on a topic that is not UTF-8: {topic!r}"
            )
            return 0
        matches = self._router(server_key).match(topic)
        if not matches:
            return 0
        data: Any = None
        decoded = False
        message: Any = None
        handed = 0
        for handler, params in matches:
            if handler.style == PAHO:
                if message is None:
                    message = (
                        WireMessage(topic, payload, *packet)
                        if type(packet) is tuple
                        else packet
                    )
                handed += self._hand(
                    delivery, _run_paho, handler, client, userdata, message
                )
                continue
            if not decoded:
                decoded = True
                data = _decode(topic, payload)
            if data is _MALFORMED:
                continue  # logged, dropped, and acknowledged
            handed += self._hand(
                delivery, _run_data, handler, data, topic, dict(params)
            )
        return handed

    def _hand(
        self, delivery: Delivery | None, run: Callable[..., None], *args: Any
    ) -> bool:
        if delivery is None:
            return self.pool.submit(run, *args)
        delivery.hold()
        if self.pool.submit(_released, delivery, run, *args):
            return True
        delivery.abandon()  # the pool is stopping: the broker sends it again
        return False


class _Malformed:
    pass


_MALFORMED = _Malformed()


def _decode(topic: str, payload: bytes) -> Any:
    if not payload:
        return None
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        size = len(payload)
        log.warning(
            f"mqtt: dropped a malformed message on {topic!r} ({size} bytes): {exc}"
        )
        return _MALFORMED


def _released(delivery: Delivery, run: Callable[..., None], *args: Any) -> None:
    """``run(*args)``, then let the message's acknowledgement go."""
    try:
        run(*args)
    finally:
        delivery.release()


def _run_data(handler: Handler, data: Any, topic: str, params: dict[str, Any]) -> None:
    try:
        handler.func(data, **fit_keywords(handler.accepted, {"topic": topic, **params}))
    except Exception as exc:
        trace = traceback.format_exc()
        log.error(f"mqtt: handler {handler.name} failed on {topic!r}: {exc!r}\n{trace}")


def _run_paho(handler: Handler, client: Any, userdata: Any, message: Any) -> None:
    try:
        handler.func(client, userdata, message)
    except Exception as exc:
        trace = traceback.format_exc()
        topic = message.topic
        log.error(
            f"mqtt: callback {handler.name} failed on {topic!r}: {exc!r}\n{trace}"
        )
