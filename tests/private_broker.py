"""A Mosquitto of the test's own on a free loopback port, to stop and restart
at will (the machine's shared broker is never touched). Persistence is on, as
in production (sessions saved every second and at a graceful stop), with
Mosquitto's default queue limits otherwise."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["PrivateBroker", "mosquitto_binary", "private_broker_fixture"]


def mosquitto_binary() -> str | None:
    found = shutil.which("mosquitto")
    if found is None and Path("/usr/sbin/mosquitto").exists():
        found = "/usr/sbin/mosquitto"
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivateBroker:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        # as root, mosquitto would switch to its own user, which cannot enter
        # pytest's 0700 folders: stay root for the test's broker
        user = "user root\n" if os.geteuid() == 0 else ""
        (folder / "mosquitto.conf").write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {folder}/\n"
            "autosave_interval 1\n"
            f"{user}"
            f"log_dest file {folder}/mosquitto.log\n"
            "log_type all\n"
        )

    @property
    def log(self) -> str:
        path = self.folder / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> PrivateBroker:
        binary = mosquitto_binary()
        assert binary, "mosquitto is not installed (make services installs it)"
        self.process = subprocess.Popen(
            [binary, "-c", str(self.folder / "mosquitto.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"private mosquitto did not start: {self.log[-2000:]}")

    def stop(self) -> None:
        """A graceful broker stop (SIGTERM: it saves its sessions)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(10)
        self.process = None


def private_broker_fixture() -> object:
    """A pytest fixture: a started ``PrivateBroker`` (skipped without mosquitto
    on a user's machine, a failure under CI)."""

    @pytest.fixture
    def private_broker(tmp_path: Path) -> Iterator[PrivateBroker]:
        if mosquitto_binary() is None:
            if os.environ.get("CI"):
                pytest.fail("CI requires mosquitto installed (make services)")
            pytest.skip("mosquitto is not installed (make services installs it)")
        folder = tmp_path / "broker"
        folder.mkdir()
        broker = PrivateBroker(folder).start()
        yield broker
        broker.stop()

    return private_broker
