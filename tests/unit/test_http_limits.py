"""HTTP limits from config, and the watcher that cuts slow body reads."""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest

from envoxy.exceptions import ConfigError
from envoxy.http import body_watch
from envoxy.http.body_watch import BUSY, TIMED_OUT
from envoxy.http.limits import HttpLimits


def test_defaults_and_overrides() -> None:
    assert HttpLimits.from_config(None) == HttpLimits()
    limits = HttpLimits.from_config(
        {"max_body_bytes": "1024", "body_timeout": 2.5, "lanes": {"low": 1}}
    )
    assert limits.max_body_bytes == 1024 and limits.body_timeout == 2.5
    assert HttpLimits().slots_for(2) == 1 and HttpLimits().slots_for(1) == 1
    assert HttpLimits(slow_body_slots=3).slots_for(2) == 3


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("max_body_bytes", True),
        ("max_body_bytes", "lots"),
        ("max_body_bytes", 0),
        ("max_body_bytes", 1.5),
        ("body_timeout", -1),
        ("slow_body_slots", [2]),
        ("max_json_depth", "0"),
    ],
)
def test_a_bad_limit_is_refused_at_boot_naming_the_key(key: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=f"http.{key}"):
        HttpLimits.from_config({key: value})


@pytest.fixture
def blocked_read() -> Any:
    """A connection whose reader blocks (nothing is ever sent), and what it got."""
    server, client = socket.socketpair()
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(server.recv(10)))
    reader.start()
    yield server, reader, got
    server.close()
    client.close()


def test_a_slow_read_without_a_free_slot_is_cut_as_busy(blocked_read: Any) -> None:
    server, reader, got = blocked_read
    slots = threading.BoundedSemaphore(1)
    assert slots.acquire(blocking=False)  # the only slot is taken
    ticket = body_watch.watch(server.fileno(), 0.05, 30, slots)
    reader.join(10)
    assert got == [b""] and ticket.cut == BUSY  # cut long before 30 s
    body_watch.finish(ticket)


def test_a_slow_read_takes_a_slot_then_is_cut_at_its_deadline(
    blocked_read: Any,
) -> None:
    server, reader, got = blocked_read
    slots = threading.BoundedSemaphore(1)
    ticket = body_watch.watch(server.fileno(), 0.05, 0.3, slots)
    reader.join(10)
    assert got == [b""] and ticket.cut == TIMED_OUT
    assert not slots.acquire(blocking=False)  # still held until finish
    body_watch.finish(ticket)
    assert slots.acquire(blocking=False)  # given back


def test_a_read_that_ends_in_time_is_never_cut() -> None:
    server, client = socket.socketpair()
    try:
        slots = threading.BoundedSemaphore(1)
        ticket = body_watch.watch(server.fileno(), 0.05, 0.2, slots)
        client.sendall(b"body")
        assert server.recv(10) == b"body"
        body_watch.finish(ticket)
        threading.Event().wait(0.4)  # past both deadlines
        assert ticket.cut is None
        client.sendall(b"more")  # the connection was not shut down
        assert server.recv(10) == b"more"
    finally:
        server.close()
        client.close()
