"""Singletons are built once, even when many threads race for the first instance."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from envoxy.utils.singleton import Singleton, SingletonPerThread


class Slow(Singleton):
    built = 0

    def __init__(self, value: int = 0) -> None:
        Slow.built += 1
        time.sleep(0.01)  # widen the race window
        self.value = value


class Other(Singleton):
    pass


class PerThread(SingletonPerThread):
    pass


def test_one_instance_under_contention() -> None:
    Slow.reset_instance()
    Slow.built = 0
    barrier = threading.Barrier(8)

    def grab(i: int) -> Slow:
        barrier.wait()
        return Slow.instance(i)

    with ThreadPoolExecutor(8) as pool:
        instances = list(pool.map(grab, range(8)))
    assert len({id(obj) for obj in instances}) == 1
    assert Slow.built == 1


def test_each_subclass_has_its_own() -> None:
    assert Other.instance() is Other.instance()
    assert Other.instance() is not Slow.instance()
    assert Other.instance_with_queue is not None


def test_per_thread() -> None:
    main = PerThread.instance()
    assert PerThread.instance() is main
    seen: list[PerThread] = []
    worker = threading.Thread(target=lambda: seen.append(PerThread.instance()))
    worker.start()
    worker.join()
    assert seen[0] is not main
