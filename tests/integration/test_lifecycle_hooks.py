"""@on_startup, @on_shutdown and @every under a real envoxyd (2 workers):
startup in every worker, a periodic job once per daemon that never overlaps
itself and survives a failing run, drained at SIGTERM, rerun after SIGHUP."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.daemon import Daemon

pytestmark = pytest.mark.integration

VIEWS = """
import os
import time
from pathlib import Path

from envoxy import View, every, on, on_shutdown, on_startup

LOG = Path(__file__).with_name("hooks.log")
RUNS = {"n": 0}


def note(text):
    with LOG.open("a") as out:
        out.write(f"{text} {os.getpid()}\\n")


@on_startup
def opened():
    note("start")


@on_shutdown
def closing():
    note("stop")


@every(0.2)
def tick():
    RUNS["n"] += 1
    note("begin")
    time.sleep(0.3)  # longer than the interval: the next ticks are skipped
    note("end")
    if RUNS["n"] % 2:
        raise RuntimeError("every other run fails")


@on(endpoint="/v3/ping", protocols=["http"])
class Ping(View):
    def get(self, request, **kwargs):
        return {"pid": os.getpid()}


__loader__ = [Ping]
"""


def _lines(path: Path) -> list[tuple[str, int]]:
    if not path.exists():
        return []
    return [
        (word, int(pid))
        for word, pid in (line.split() for line in path.read_text().splitlines())
    ]


def _wait_for(path: Path, check: object, timeout: float = 20) -> list[tuple[str, int]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = _lines(path)
        if check(lines):  # type: ignore[operator]
            return lines
        time.sleep(0.1)
    raise AssertionError(f"not reached in {timeout} s: {_lines(path)}")


def _ticks_never_overlap(lines: list[tuple[str, int]]) -> None:
    """Each process's runs alternate begin, end: none started inside another."""
    for ticker in {pid for word, pid in lines if word == "begin"}:
        words = [word for word, pid in lines if pid == ticker and word != "stop"]
        words = [word for word in words if word != "start"]
        expected = ["begin", "end"] * (len(words) // 2 + 1)
        assert words == expected[: len(words)], (ticker, words)


def test_hooks_under_a_real_daemon(tmp_path: Path) -> None:
    log = tmp_path / "hooks.log"
    daemon = Daemon(tmp_path, {}, VIEWS).start()
    try:
        ends = lambda lines: sum(word == "end" for word, _ in lines)  # noqa: E731
        lines = _wait_for(log, lambda lines: ends(lines) >= 4)
        starts = {pid for word, pid in lines if word == "start"}
        assert len(starts) == 2  # every worker ran @on_startup
        tickers = {pid for word, pid in lines if word in ("begin", "end")}
        assert len(tickers) == 1 and tickers <= starts  # one worker runs @every
        _ticks_never_overlap(lines)  # failing runs did not end the schedule
        assert daemon.get("/_health/ready")[2]["checks"]["startup"]["ok"] is True

        assert daemon.process is not None
        daemon.process.send_signal(signal.SIGHUP)  # a chain reload
        deadline = time.monotonic() + 30
        while "chain reloading complete" not in daemon.log.read_text():
            assert time.monotonic() < deadline, "the reload did not complete"
            time.sleep(0.1)
        old = starts
        lines = _wait_for(
            log,
            lambda lines: any(word == "end" and pid not in old for word, pid in lines),
        )
        new_starts = {pid for word, pid in lines if word == "start"} - old
        assert len(new_starts) == 2  # the new workers ran @on_startup again
        assert {
            pid for word, pid in lines if word == "stop"
        } >= old  # and the old @on_shutdown
        new_tickers = {
            pid for word, pid in lines if word in ("begin", "end") and pid not in old
        }
        assert len(new_tickers) == 1 and new_tickers <= new_starts
    finally:
        assert daemon.stop() == 0
    lines = _lines(log)
    _ticks_never_overlap(lines)
    (ticker,) = new_tickers
    mine = [word for word, pid in lines if pid == ticker]
    assert mine[-1] == "stop"  # its @on_shutdown ran last...
    assert mine[-2] == "end"  # ...after the run in progress finished (drained)
    stopped = {pid for word, pid in lines if word == "stop"}
    assert stopped >= new_starts


FAILING_STARTUP = """
from envoxy import View, on, on_startup


@on_startup
def broken():
    raise RuntimeError("the cache could not be warmed")


@on(endpoint="/v3/ping", protocols=["http"])
class Ping(View):
    def get(self, request, **kwargs):
        return {"pong": True}


__loader__ = [Ping]
"""


def test_a_failing_startup_hook_makes_the_worker_unready(tmp_path: Path) -> None:
    daemon = Daemon(tmp_path, {}, FAILING_STARTUP).start()
    try:
        deadline = time.monotonic() + 10
        while True:
            status, _, body = daemon.get("/_health/ready")
            startup = body["checks"].get("startup", {})
            if startup.get("failed") or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert status == 503, body
        assert startup["ok"] is False and startup["failed"][0].endswith("broken")
        assert daemon.get("/v3/ping")[0] == 200  # it still serves what it can
        assert "the cache could not be warmed" in daemon.log.read_text()
    finally:
        assert daemon.stop() == 0
