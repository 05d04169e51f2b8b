"""@every's schedule, per-worker jobs and the declaration checks."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator

import pytest

from envoxy import every, hooks, on_shutdown, on_startup
from envoxy.exceptions import ConfigError


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    hooks.clear()
    yield
    hooks.stop_periodic(5)
    hooks.clear()


def test_declarations_are_checked_when_made() -> None:
    with pytest.raises(ConfigError, match=r"at least 0\.01"):
        every(0)
    with pytest.raises(ConfigError, match=r"at least 0\.01"):
        every("soon")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="must take no arguments"):
        on_startup(lambda needed: None)
    with pytest.raises(ConfigError, match="must take no arguments"):
        every(1)(lambda needed: None)
    with pytest.raises(ConfigError, match="decorates a function"):
        on_shutdown(3)  # type: ignore[arg-type]
    assert hooks.startup_status() is None  # nothing declared


def test_only_per_worker_jobs_run_outside_the_events_worker() -> None:
    ran: list[str] = []

    @every(0.01, at_start=True)
    def shared() -> None:
        ran.append("shared")

    @every(0.01, at_start=True, per_worker=True)
    def local() -> None:
        ran.append("local")

    assert hooks.start_periodic(events=False) == 1
    deadline = time.monotonic() + 5
    while "local" not in ran:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert hooks.stop_periodic(5)
    assert "shared" not in ran


def test_a_slow_run_skips_ticks_and_a_failing_one_does_not_stop_the_schedule() -> None:
    starts: list[float] = []
    inside = threading.Lock()
    overlapped: list[bool] = []

    @every(0.02, at_start=True)
    def slow() -> None:
        overlapped.append(not inside.acquire(blocking=False))
        starts.append(time.monotonic())
        time.sleep(0.05)  # 2.5 intervals
        inside.release()
        raise RuntimeError("each run fails")

    hooks.start_periodic()
    deadline = time.monotonic() + 10
    while len(starts) < 4:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert hooks.stop_periodic(5)
    count = len(starts)
    time.sleep(0.1)
    assert len(starts) == count  # nothing starts after the stop
    assert not any(overlapped)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(gap >= 0.05 for gap in gaps)  # never caught up in a burst


def test_a_failing_startup_hook_is_reported() -> None:
    @on_startup
    def fine() -> None:
        return None

    @on_startup
    def broken() -> None:
        raise RuntimeError("no")

    assert hooks.startup_status() == {"ok": False, "error": "not run yet"}
    failed = hooks.run_startup()
    assert len(failed) == 1 and failed[0].endswith("broken")
    status = hooks.startup_status()
    assert status is not None and status["ok"] is False


def test_a_hung_shutdown_hook_is_left_behind_at_the_budget() -> None:
    release = threading.Event()
    ran: list[str] = []

    @on_shutdown
    def hangs() -> None:
        release.wait(10)

    @on_shutdown
    def after() -> None:
        ran.append("after")

    started = time.monotonic()
    hooks.run_shutdown(0.2)
    release.set()
    assert time.monotonic() - started < 5
    assert ran == []  # the budget was spent on the hung one
