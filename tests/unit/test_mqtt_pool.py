"""The MQTT handler pool (envoxy.mqtt.handlers.BoundedPool): bounded threads,
bounded queue with backpressure, nothing lost or run twice, nothing left
asleep with work waiting."""

from __future__ import annotations

import threading
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from envoxy.mqtt.handlers import BoundedPool
from tests.concurrency import eventually


class Gate:
    """Tasks that block until released, counting how many run at once."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.done: list[int] = []

    def task(self, n: int) -> None:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        self.release.wait(10)
        with self.lock:
            self.running -= 1
            self.done.append(n)


def test_a_full_pool_makes_the_submitter_wait_until_a_worker_takes_one() -> None:
    pool, gate = BoundedPool(workers=2, queue=3), Gate()
    for n in range(5):  # 2 running, 3 waiting: none of these waits
        assert pool.submit(gate.task, n)
    assert eventually(lambda: gate.running == 2)
    returned = threading.Event()

    def sixth() -> None:
        pool.submit(gate.task, 5)
        returned.set()

    threading.Thread(target=sixth, daemon=True).start()
    time.sleep(0.3)  # a bound for a wrong pool to show itself, not a timing claim
    assert not returned.is_set()  # backpressure: the network thread would wait here
    gate.release.set()
    assert returned.wait(10)
    pool.shutdown(wait=True)
    assert sorted(gate.done) == list(range(6))
    assert gate.most == 2  # never more than `workers` at once


def test_a_stopped_pool_drops_what_waits_and_refuses_more() -> None:
    pool, gate = BoundedPool(workers=1, queue=4), Gate()
    for n in range(4):
        assert pool.submit(gate.task, n)
    assert eventually(lambda: gate.running == 1)
    stopper = threading.Thread(target=pool.shutdown, kwargs={"wait": False})
    stopper.start()
    stopper.join(10)
    assert not pool.submit(gate.task, 99)
    gate.release.set()
    assert eventually(lambda: gate.done == [0])
    time.sleep(0.2)
    assert gate.done == [0]  # the 3 waiting were never run (so never acknowledged)


def test_a_failing_task_does_not_kill_its_worker() -> None:
    pool = BoundedPool(workers=1, queue=2)
    ran: list[int] = []

    def boom() -> None:
        raise RuntimeError("a task bug")

    assert pool.submit(boom)
    assert pool.submit(ran.append, 1)
    pool.shutdown(wait=True)
    assert ran == [1]


@settings(max_examples=25, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(1, 6),
    st.lists(st.integers(0, 3), min_size=1, max_size=60),
    st.integers(1, 3),
)
def test_every_task_runs_exactly_once_from_any_number_of_submitters(
    workers: int, queue: int, pauses: list[int], submitters: int
) -> None:
    """Sleeps of 0-3 ms between submits let workers fall asleep and be woken
    in every order; none may be lost, run twice, or left waiting."""
    pool = BoundedPool(workers=workers, queue=queue)
    seen: list[tuple[int, int]] = []
    lock = threading.Lock()

    def record(key: tuple[int, int]) -> None:
        with lock:
            seen.append(key)

    def submit_all(who: int) -> None:
        for n, pause in enumerate(pauses):
            assert pool.submit(record, (who, n))
            if pause:
                time.sleep(pause / 1000)

    threads = [
        threading.Thread(target=submit_all, args=(w,)) for w in range(submitters)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    expected = sorted((w, n) for w in range(submitters) for n in range(len(pauses)))
    assert eventually(lambda: len(seen) == len(expected))  # before shutdown: no sleeper
    pool.shutdown(wait=True)
    assert sorted(seen) == expected
