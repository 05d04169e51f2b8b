"""QoS 1/2 acknowledgements wait for the handlers and go out in arrival
order (envoxy.mqtt.acks), with a recording client in place of paho's."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from envoxy.mqtt.acks import InOrderAcks
from envoxy.mqtt.handlers import BoundedPool, MessageRouter


class Recorder:
    def __init__(self) -> None:
        self.acked: list[tuple[int, int]] = []

    def ack(self, mid: int, qos: int) -> None:
        self.acked.append((mid, qos))


def _message(mid: int, qos: int = 1, topic: str = "t/1") -> Any:
    return SimpleNamespace(mid=mid, qos=qos, topic=topic, payload=b'{"n": 1}')


@given(st.permutations(list(range(12))))
def test_acks_leave_in_arrival_order_whatever_order_handlers_finish(
    finish_order: list[int],
) -> None:
    acks, client = InOrderAcks(), Recorder()
    deliveries = [acks.receive(client, mid, 1) for mid in range(12)]
    for delivery in deliveries:
        assert delivery is not None
        delivery.hold()  # a handler has it
        delivery.release()  # the dispatch is done handing it
    for done, index in enumerate(finish_order, 1):
        deliveries[index].release()
        finished = set(finish_order[:done])
        prefix = 0
        while prefix in finished:
            prefix += 1
        assert client.acked == [(mid, 1) for mid in range(prefix)]
    assert acks.pending() == 0


def test_qos0_needs_no_ack_and_a_new_connection_forgets_the_old() -> None:
    acks, client = InOrderAcks(), Recorder()
    assert acks.receive(client, 1, 0) is None
    held = acks.receive(client, 2, 1)
    assert held is not None
    held.hold()
    held.release()
    acks.reset()  # reconnected: the broker sends mid 2 again
    held.release()
    assert client.acked == [] and acks.pending() == 0


def test_a_message_is_acked_only_after_every_handler_ran() -> None:
    pool = BoundedPool(workers=2, queue=4)
    router = MessageRouter(pool)
    gate = threading.Event()
    ran: list[str] = []

    def slow(data: Any, topic: str) -> None:
        gate.wait(10)
        ran.append("slow")

    def failing(data: Any, topic: str) -> None:
        ran.append("failing")
        raise RuntimeError("a handler bug: logged, and the message still acked")

    router.add("main", "t/+", slow)
    router.add("main", "t/#", failing)
    acks, client = InOrderAcks(), Recorder()
    message = _message(7)
    assert (
        router.dispatch(
            "main",
            client,
            None,
            message,
            acks.receive(client, message.mid, message.qos),
        )
        == 2
    )
    unmatched = _message(8, topic="elsewhere")
    assert (
        router.dispatch(
            "main",
            client,
            None,
            unmatched,
            acks.receive(client, unmatched.mid, unmatched.qos),
        )
        == 0
    )
    assert client.acked == []  # 7 waits for its slow handler; 8 waits for 7
    gate.set()
    pool.shutdown(wait=True)
    assert sorted(ran) == ["failing", "slow"]
    assert client.acked == [(7, 1), (8, 1)]


def test_a_message_the_stopping_pool_refused_is_never_acked() -> None:
    pool = BoundedPool(workers=1, queue=0)
    router = MessageRouter(pool)
    router.add("main", "t/+", lambda data, topic: None)
    pool.shutdown(wait=True)
    acks, client = InOrderAcks(), Recorder()
    message = _message(3)
    assert (
        router.dispatch(
            "main",
            client,
            None,
            message,
            acks.receive(client, message.mid, message.qos),
        )
        == 0
    )
    assert client.acked == [] and acks.pending() == 1  # the broker sends it again


def test_a_malformed_message_is_dropped_and_acked_at_once() -> None:
    """Not JSON: logged and dropped, no handler runs, and it is acknowledged
    (redelivering it would fail the same way); the next message still flows."""
    pool = BoundedPool(workers=1, queue=2)
    router = MessageRouter(pool)
    ran: list[Any] = []
    router.add("main", "t/+", lambda data, topic: ran.append(data))
    acks, client = InOrderAcks(), Recorder()
    bad = SimpleNamespace(mid=4, qos=1, topic="t/1", payload=b"{not json")
    assert (
        router.dispatch(
            "main", client, None, bad, acks.receive(client, bad.mid, bad.qos)
        )
        == 0
    )
    assert client.acked == [(4, 1)]
    good = _message(5)
    assert (
        router.dispatch(
            "main", client, None, good, acks.receive(client, good.mid, good.qos)
        )
        == 1
    )
    pool.shutdown(wait=True)
    assert ran == [{"n": 1}] and client.acked == [(4, 1), (5, 1)]
