"""Run one call from many threads at once, for single-flight tests; wait,
bounded, until something other threads do has happened."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["eventually", "run_together"]


def run_together(
    count: int, call: Callable[[], Any], gate: threading.Event
) -> list[Any]:
    """Start ``count`` threads running ``call``, let them all reach it, then set
    ``gate`` (which the call's loader waits on) and return every result; an
    exception a thread raised is returned in its place."""
    results: list[Any] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            outcome = call()
        except Exception as exc:  # handed back to the test to assert on
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    gate.set()
    for thread in threads:
        thread.join()
    return results


def eventually(predicate: Callable[[], Any], seconds: float = 10) -> bool:
    """Whether ``predicate()`` became true within ``seconds`` (polled every
    50 ms; a bound, never a timing claim)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())
