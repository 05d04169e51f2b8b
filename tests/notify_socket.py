"""The test as systemd: a datagram socket bound as ``NOTIFY_SOCKET``
(the ``systemd`` fixture in tests/conftest.py), and reading what
envoxyd tells it."""

from __future__ import annotations

import re
import socket
import time

from tests.daemon import Daemon

__all__ = ["heard", "wait_for", "worker_pids"]


def heard(sock: socket.socket, seconds: float) -> list[str]:
    """Every message within ``seconds``."""
    messages = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            messages.append(sock.recv(4096).decode())
        except TimeoutError:
            continue
    return messages


def wait_for(sock: socket.socket, wanted: str, seconds: float = 30) -> list[str]:
    """Every message until ``wanted`` arrives (an assertion error past
    ``seconds``)."""
    messages: list[str] = []
    deadline = time.monotonic() + seconds
    while wanted not in messages:
        assert time.monotonic() < deadline, f"no {wanted} in {messages}"
        messages += heard(sock, 0.2)
    return messages


def worker_pids(daemon: Daemon) -> list[int]:
    log = daemon.log.read_text(errors="replace")
    return [
        int(pid) for pid in re.findall(r"spawned uWSGI worker \d+ \(pid: (\d+)", log)
    ]
