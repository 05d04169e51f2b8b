"""envoxyd under systemd's notify protocol, with the test as systemd: a
datagram socket as ``NOTIFY_SOCKET``. READY=1 once it serves, WATCHDOG=1
while the workers answer (and none while they do not, so systemd would
restart it), STOPPING=1 at SIGTERM; ``envoxy.utils.watchdog.notify`` speaks
the protocol itself (abstract sockets too)."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

import pytest

from envoxy.utils.watchdog import Watchdog, notify
from tests.daemon import JWT_CONF, VIEWS, Daemon, free_port
from tests.notify_socket import heard, wait_for, worker_pids

pytestmark = pytest.mark.integration


def test_ready_watchdog_and_stopping(tmp_path: Path, systemd: socket.socket) -> None:
    conf = {
        **JWT_CONF,
        "keep_alive": 1,
        "zmq_server": {"bind": f"tcp://127.0.0.1:{free_port()}"},
    }
    env = {"NOTIFY_SOCKET": str(tmp_path / "notify.sock")}
    daemon = Daemon(tmp_path, conf, VIEWS, env=env).start()
    stopped: list[int] = []
    try:
        first = wait_for(systemd, "READY=1")
        assert "WATCHDOG=1" not in first[: first.index("READY=1")]
        pings = heard(systemd, 3).count("WATCHDOG=1")
        assert pings >= 3, pings  # every 0.5 s while healthy

        stopped = worker_pids(daemon)
        assert len(stopped) == 2
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)  # the workers stop answering
        heard(systemd, 1.5)  # a check in flight may still have passed
        assert "WATCHDOG=1" not in heard(systemd, 3)  # systemd would restart
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
        stopped = []
        wait_for(systemd, "WATCHDOG=1", 10)  # answering again: pings resume
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
        assert daemon.stop() == 0


def test_stopping_is_said_at_sigterm(tmp_path: Path, systemd: socket.socket) -> None:
    env = {"NOTIFY_SOCKET": str(tmp_path / "notify.sock")}
    conf = {**JWT_CONF, "zmq_server": {"bind": f"tcp://127.0.0.1:{free_port()}"}}
    daemon = Daemon(tmp_path, conf, VIEWS, env=env).start()
    try:
        wait_for(systemd, "READY=1")
        assert daemon.process is not None
        daemon.process.send_signal(signal.SIGTERM)
        messages = wait_for(systemd, "STOPPING=1", 10)
        assert "WATCHDOG=1" not in messages  # no keep_alive, no WatchdogSec
    finally:
        assert daemon.stop() == 0


def test_notify_speaks_the_protocol(tmp_path: Path) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        name = f"envoxy-test-{os.getpid()}"
        listener.bind("\0" + name)  # the abstract namespace: "@name"
        listener.settimeout(5)
        assert notify("READY=1", {"NOTIFY_SOCKET": f"@{name}"})
        assert listener.recv(64) == b"READY=1"
    assert notify("READY=1", {}) is False  # not under systemd: nothing sent


def test_watchdog_pings_only_while_the_check_passes(
    monkeypatch: pytest.MonkeyPatch, systemd: socket.socket, tmp_path: Path
) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify.sock"))
    healthy = {"now": True}
    watchdog = Watchdog(0.2, check=lambda: healthy["now"])
    watchdog.thread = None
    assert watchdog.start()
    try:
        assert heard(systemd, 1).count("WATCHDOG=1") >= 3
        healthy["now"] = False
        heard(systemd, 0.3)
        assert heard(systemd, 1) == []
        healthy["now"] = True
        wait_for(systemd, "WATCHDOG=1", 5)
    finally:
        watchdog.stop()
        assert watchdog.thread is not None
        watchdog.thread.join(5)
    assert not Watchdog(0).start()  # no interval: not enabled
