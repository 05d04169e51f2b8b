"""QoS 1/2 messages are acknowledged once handled, in the order they came.

paho acknowledges a message as soon as ``on_message`` returns, which here is
when the message is queued for the handler pool: a process killed then loses
every queued message the broker already forgot. With manual acks, a message
is acknowledged only after every handler it was given has run (raised or
not: a failing handler is logged, and redelivering the message would fail
again), so a killed consumer's unhandled messages stay in its session at the
broker and come back when it reconnects (at least once: a message handled
but not yet acknowledged comes back too). MQTT wants PUBACKs in the order the
PUBLISHes arrived, so a message finished early waits for the ones before it.

Acknowledgements of a previous connection are never sent on a new one: the
broker sends those messages again on the resumed session.
"""

from __future__ import annotations

import collections
import threading
from typing import Any

__all__ = ["Delivery", "InOrderAcks"]


class Delivery:
    """One QoS 1/2 message: acknowledged when nothing holds it any more."""

    __slots__ = ("abandoned", "acks", "client", "holds", "mid", "qos")

    def __init__(self, acks: InOrderAcks, client: Any, mid: int, qos: int) -> None:
        self.acks = acks
        self.client = client
        self.mid = mid
        self.qos = qos
        self.holds = 1  # the dispatch itself, until every handler is handed
        self.abandoned = False

    def hold(self) -> None:
        with self.acks.lock:
            self.holds += 1

    def release(self) -> None:
        """One holder is done; the last one lets the acknowledgement go."""
        with self.acks.lock:
            self.holds -= 1
            if self.holds == 0:
                self.acks.flush()

    def abandon(self) -> None:
        """Not handled (the pool is stopping): never acknowledged, so the
        broker delivers it again; the ones after it wait too."""
        with self.acks.lock:
            self.abandoned = True


class InOrderAcks:
    """The unacknowledged QoS 1/2 messages of one connection, oldest first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._queue: collections.deque[Delivery] = collections.deque()

    def receive(self, client: Any, mid: int, qos: int) -> Delivery | None:
        """A ``Delivery`` for a QoS 1/2 message (None for QoS 0: nothing to
        acknowledge)."""
        if not qos:
            return None
        delivery = Delivery(self, client, mid, qos)
        with self.lock:
            self._queue.append(delivery)
        return delivery

    def reset(self) -> None:
        """A new connection: forget the old one's (the broker resends them)."""
        with self.lock:
            self._queue.clear()

    def flush(self) -> None:
        """Acknowledge every finished message at the front (lock held)."""
        queue = self._queue
        while queue and queue[0].holds == 0 and not queue[0].abandoned:
            done = queue.popleft()
            done.client.ack(done.mid, done.qos)

    def pending(self) -> int:
        with self.lock:
            return len(self._queue)
