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

import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import orjson

from envoxy.mqtt.acks import Delivery
from envoxy.routing import Router
from envoxy.routing.grammar import parse_topic
from envoxy.utils.logs import log
from envoxy.views.dispatch import accepted_keywords, fit_keywords

__all__ = ["BoundedPool", "Handler", "MessageRouter"]


DATA = "data"  # handler(data, topic=..., **params)
PAHO = "paho"  # handler(client, userdata, message): upstream's callback style


@dataclass(frozen=True)
class Handler:
    func: Callable[..., Any]
    style: str
    #: the keywords ``func`` takes (``None``: any), decided once (dispatch core)
    accepted: frozenset[str] | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        return getattr(self.func, "__qualname__", repr(self.func))


class BoundedPool:
    """A thread pool whose ``submit`` blocks while ``workers + queue`` tasks wait."""

    def __init__(self, workers: int = 8, queue: int = 256, name: str = "mqtt") -> None:
        self._executor = ThreadPoolExecutor(
            max_workers=max(1, workers), thread_name_prefix=f"envoxy-{name}"
        )
        self._slots = threading.BoundedSemaphore(max(1, workers) + max(0, queue))
        self._closed = False

    def submit(self, func: Callable[..., Any], *args: Any) -> bool:
        """Run ``func(*args)`` on a worker; blocks while the pool is full."""
        if self._closed:
            return False
        self._slots.acquire()
        try:
            future = self._executor.submit(func, *args)
        except RuntimeError:  # shut down meanwhile
            self._slots.release()
            return False
        future.add_done_callback(lambda _: self._slots.release())
        return True

    def shutdown(self, wait: bool = True) -> None:
        self._closed = True
        self._executor.shutdown(wait=wait, cancel_futures=not wait)


class MessageRouter:
    """Handlers by server key and topic pattern."""

    def __init__(self, pool: BoundedPool) -> None:
        self.pool = pool
        self._routers: dict[str, Any] = {}
        self._lock = threading.RLock()  # add/remove take it, and so does _router

    def _router(self, server_key: str) -> Any:
        router = self._routers.get(server_key)
        if router is None:
            with self._lock:
                router = self._routers.setdefault(server_key, Router())
        return router

    def add(
        self, server_key: str, pattern: str, func: Callable[..., Any], style: str = DATA
    ) -> None:
        """Route ``pattern`` (the one endpoint grammar: ``{name}``,
        ``{name:type}``, ``+``, ``#``, ``$share/``) to ``func``."""
        parsed = parse_topic(pattern)
        accepted = accepted_keywords(func) if style == DATA else None
        with self._lock:
            self._router(server_key).add(
                parsed.pattern, Handler(func, style, accepted), parsed.captures
            )

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
        """Route one message; how many handlers it was handed to. A QoS 1/2
        ``delivery`` is held by each handler until it has run
        (envoxy.mqtt.acks), and released here once all are handed."""
        try:
            return self._dispatch(server_key, client, userdata, message, delivery)
        finally:
            if delivery is not None:
                delivery.release()

    def _dispatch(
        self,
        server_key: str,
        client: Any,
        userdata: Any,
        message: Any,
        delivery: Delivery | None,
    ) -> int:
        topic = message.topic
        matches = self._router(server_key).match(topic)
        if not matches:
            return 0
        data: Any = None
        decoded = False
        handed = 0
        for handler, params in matches:
            if handler.style == PAHO:
                handed += self._hand(
                    delivery, _run_paho, handler, client, userdata, message
                )
                continue
            if not decoded:
                decoded = True
                data = _decode(topic, message.payload)
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
