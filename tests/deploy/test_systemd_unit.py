"""deploy/systemd/envoxyd.service: systemd accepts it (systemd-analyze
verify), it says what envoxyd needs (Type=notify, WatchdogSec, a restart
policy that does not loop on a bad config, a stop timeout past the drain,
hardening), and envoxyd started with its ExecStart, as systemd starts it
(NOTIFY_SOCKET, WATCHDOG_USEC, a private runtime folder), says READY=1 when
it serves, WATCHDOG=1 every half WatchdogSec, none once its workers stop
answering, and STOPPING=1 at SIGTERM."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.daemon import ENVOXYD, Daemon
from tests.deploy.image import ROOT, Image
from tests.notify_socket import heard, wait_for, worker_pids

UNIT = ROOT / "deploy" / "systemd" / "envoxyd.service"
HTTP_VIEW = """
from envoxy import View, on


@on(endpoint="/v1/ping", protocols=["http"])
class Ping(View):
    def get(self, request, **kwargs):
        return {"pong": True}


__loader__ = [Ping]
"""
WATCHDOG_SEC = 2  # the unit says 30; a test-sized value through the same path


def _directives(unit: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in unit.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "[")) and "=" in line:
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def _one(unit: dict[str, list[str]], key: str) -> str:
    assert key in unit, f"the unit has no {key}"
    return unit[key][-1]


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("CI"):
            pytest.fail("CI verifies the unit: systemd-analyze is missing")
        pytest.skip("systemd-analyze is not installed (Debian: systemd)")
    assert ENVOXYD
    copy = tmp_path / "envoxyd.service"  # ExecStart must exist to verify
    copy.write_text(UNIT.read_text().replace("/opt/envoxy/bin/envoxyd", ENVOXYD))
    done = subprocess.run(
        [analyze, "verify", str(copy)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def test_the_unit_says_what_envoxyd_needs() -> None:
    unit = _directives(UNIT)
    assert _one(unit, "Type") == "notify"
    assert _one(unit, "NotifyAccess") == "main"  # envoxyd execs into the master
    assert int(_one(unit, "WatchdogSec")) > 0
    assert _one(unit, "Restart") == "on-failure"
    assert _one(unit, "RestartPreventExitStatus") == "2"  # a bad config
    assert _one(unit, "KillSignal") == "SIGTERM"
    assert int(_one(unit, "TimeoutStopSec")) > 20  # envoxyd.drain_seconds default
    assert _one(unit, "User") != "root"
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "CapabilityBoundingSet": "",
        "RestrictNamespaces": "yes",
    }.items():
        assert _one(unit, key) == value, key
    # the same command line as the container image
    image = Image.from_dockerfile()
    assert shlex.split(_one(unit, "ExecStart")) == [*image.entrypoint, *image.cmd]


class UnitDaemon(Daemon):
    """envoxyd with the unit's ExecStart arguments (the port and config path
    moved to the test's)."""

    def command(self) -> list[str]:
        assert ENVOXYD
        arguments = shlex.split(_one(_directives(UNIT), "ExecStart"))[1:]
        moved = {":8080": f"127.0.0.1:{self.port}"}
        conf = f"conf={self.folder / 'envoxy.json'}"
        return [
            ENVOXYD,
            *(conf if a.startswith("conf=") else moved.get(a, a) for a in arguments),
        ]


def test_envoxyd_under_the_units_contract(
    tmp_path: Path, systemd: socket.socket
) -> None:
    runtime = tmp_path / "run"  # RuntimeDirectory=, mode 0700
    runtime.mkdir(mode=0o700)
    env = {
        "NOTIFY_SOCKET": str(tmp_path / "notify.sock"),
        "WATCHDOG_USEC": str(WATCHDOG_SEC * 1_000_000),
        "XDG_RUNTIME_DIR": str(runtime),
    }
    daemon = UnitDaemon(tmp_path, {}, HTTP_VIEW, env=env)
    daemon.start()
    stopped: list[int] = []
    try:
        wait_for(systemd, "READY=1")
        assert daemon.get("/v1/ping")[2] == {"pong": True}  # READY=1: it serves
        pings = heard(systemd, 3 * WATCHDOG_SEC).count("WATCHDOG=1")
        assert pings >= 4, pings  # every WatchdogSec/2
        stopped = worker_pids(daemon)
        assert stopped
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)
        heard(systemd, WATCHDOG_SEC)  # a check in flight may still pass
        assert "WATCHDOG=1" not in heard(systemd, 2 * WATCHDOG_SEC)
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
        stopped = []
        wait_for(systemd, "WATCHDOG=1", 10)
        assert daemon.process is not None
        daemon.process.send_signal(signal.SIGTERM)
        wait_for(systemd, "STOPPING=1", 10)
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
        assert daemon.stop() == 0
