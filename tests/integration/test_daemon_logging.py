"""Under envoxyd, INFO lines (one per request among them) go to standard
output, file descriptor 1 itself (issue 14.9): inside uWSGI workers Python's
``sys.stdout`` is descriptor 2."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.daemon import Daemon

pytestmark = pytest.mark.integration

VIEWS = """
from envoxy import View, log, on


@on(endpoint="/v3/ping", protocols=["http"])
class Ping(View):
    def get(self, request, **kwargs):
        log.info("pinged")
        return {"pong": True}


__loader__ = [Ping]
"""


def _run(tmp_path: Path, conf: dict) -> tuple[str, str]:
    daemon = Daemon(tmp_path, conf, VIEWS)
    out, err = tmp_path / "out.log", tmp_path / "err.log"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            daemon.command(), stdout=stdout, stderr=stderr, cwd=tmp_path
        )
    try:
        url = f"http://127.0.0.1:{daemon.port}/v3/ping"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as reply:
                    assert reply.status == 200
                break
            except OSError:
                assert time.monotonic() < deadline, err.read_text()
                time.sleep(0.2)
        deadline = time.monotonic() + 10
        while (
            '"path":"/v3/ping"' not in out.read_text() and time.monotonic() < deadline
        ):
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    return out.read_text(), err.read_text()


def test_info_lines_go_to_standard_output_by_default(tmp_path: Path) -> None:
    out, err = _run(tmp_path, {})
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert any(
        line.get("path") == "/v3/ping" and line["status"] == 200 for line in lines
    )
    assert any(
        line["short_message"] == "pinged" for line in lines if "short_message" in line
    )
    assert "pinged" not in err  # not on descriptor 2 (uWSGI's own lines are)


def test_a_configured_level_and_output_win(tmp_path: Path) -> None:
    out, err = _run(tmp_path, {"logging": {"level": "WARNING"}})
    assert "pinged" not in out + err  # INFO is below WARNING
