"""Log: upstream names and levels, valid JSON lines, no stack walking."""

from __future__ import annotations

import inspect
import io
import json
from collections.abc import Iterator

import pytest

from envoxy.utils import logs
from envoxy.utils.logs import Log, log


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    saved = (
        logs._state.level,
        logs._state.pretty,
        logs._state.stream,
        logs._state.exec_name,
    )
    buffer = io.StringIO()
    logs.configure(level=9, fmt="json", exec_name="svc-test", stream=buffer)
    yield buffer
    logs._state.level, logs._state.pretty, logs._state.stream, logs._state.exec_name = (
        saved
    )


def lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_levels_keep_upstream_values() -> None:
    assert (Log.EMERGENCY, Log.ERROR, Log.DEBUG, Log.VERBOSE) == (
        b"\x00",
        b"\x03",
        b"\x07",
        b"\x09",
    )
    assert log is Log


def test_each_method_writes_valid_json_with_its_level(stream: io.StringIO) -> None:
    methods = [
        "emergency",
        "alert",
        "critical",
        "error",
        "warning",
        "notice",
        "info",
        "debug",
        "trace",
        "verbose",
    ]
    for method in methods:
        getattr(Log, method)(f'{method} \\ "quoted"\ttab\x1b[31m')
    records = lines(stream)
    assert [r["level"] for r in records] == list(range(10))
    assert records[3]["short_message"] == 'error \\ "quoted"\ttab\x1b[31m'
    assert {r["exec"] for r in records} == {"svc-test"}
    assert set(records[0]) >= {
        "version",
        "host",
        "source",
        "short_message",
        "timestamp",
        "level",
        "pid",
        "exec",
    }


def test_disabled_levels_write_nothing(stream: io.StringIO) -> None:
    logs.configure(level=Log.WARNING)
    Log.info("hidden")
    Log.debug("hidden")
    Log.warning("shown")
    assert [r["short_message"] for r in lines(stream)] == ["shown"]
    assert Log.is_gte_log_level(Log.ERROR)
    assert not Log.is_gte_log_level(Log.DEBUG)
    assert Log.log_level() == Log.WARNING


def test_ascii_digit_level_means_the_digit(stream: io.StringIO) -> None:
    logs.configure(level=b"3")  # `--set log-level=3` arrives as ASCII
    assert Log.log_level() == Log.ERROR
    logs.configure(level="7")
    assert Log.log_level() == Log.DEBUG


def test_no_stack_walk(stream: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("Log must not walk the stack")

    monkeypatch.setattr(inspect, "stack", forbidden)
    monkeypatch.setattr(inspect, "currentframe", forbidden)
    Log.warning("fine")
    Log.verbose("fine too")
    assert len(lines(stream)) == 2


def test_truncate_text() -> None:
    text = "\n".join(f"l{i}" for i in range(10))
    assert Log.truncate_text(text, 4) == "l0 l1 --- truncated --- l8 l9"
    assert Log.truncate_text("a\nb", 4) == "a\nb"
    assert Log.truncate_text(text, None) == text


def test_trace_is_truncated_by_default(stream: io.StringIO) -> None:
    Log.trace("\n".join(str(i) for i in range(500)))
    assert "--- truncated ---" in lines(stream)[0]["short_message"]


def test_pretty_text_on_a_terminal() -> None:
    saved = (logs._state.level, logs._state.pretty, logs._state.stream)
    tty = Tty()
    try:
        logs.configure(level=6, fmt="auto", stream=tty)
        assert Log.is_format_log_pretty()
        Log.info("hello")
        assert "INFO" in tty.getvalue()
        assert "hello" in tty.getvalue()
        assert not tty.getvalue().startswith("{")
    finally:
        logs._state.level, logs._state.pretty, logs._state.stream = saved


def test_system_ignores_the_level(stream: io.StringIO) -> None:
    logs.configure(level=0)
    Log.system("[boot] loaded 3 views")
    assert stream.getvalue() == "[boot] loaded 3 views\n"


def test_broken_stream_never_raises(stream: io.StringIO) -> None:
    stream.close()
    Log.error("the stream is gone")


def test_style_helpers() -> None:
    assert Log.style.apply("x", Log.style.BLUE_FG) == "\033[34mx\033[0m"
    assert Log.style.generate(["1", "31"]) == "\033[1;31m"


def test_format_log_returns_the_line(stream: io.StringIO) -> None:
    assert json.loads(Log.format_log("m", Log.INFO))["level"] == 6
