"""psql_servers bounds: what libpq is given, and what is refused at boot."""

from __future__ import annotations

from typing import Any

import pytest

from envoxy.exceptions import ConfigError
from envoxy.postgresql.bounds import BoundedConnection, libpq_arguments
from envoxy.utils.deadlines import Deadlines


def test_every_wait_is_bounded_by_default() -> None:
    arguments = libpq_arguments("main", {"host": "h"})
    assert arguments["connect_timeout"] == 5
    assert arguments["options"] == "-c statement_timeout=30000"
    assert arguments["keepalives"] == 1 and arguments["tcp_user_timeout"] == 10000
    factory = arguments["connection_factory"]
    assert issubclass(factory, BoundedConnection) and factory.socket_timeout == 35


def test_bounds_follow_the_config() -> None:
    arguments = libpq_arguments(
        "main",
        {
            "timeout": "3",
            "statement_timeout": 2000,
            "schema": "s1",
            "keepalives_idle": 7,
        },
    )
    assert arguments["connect_timeout"] == 3 and arguments["keepalives_idle"] == 7
    assert arguments["options"] == "-c statement_timeout=2000 -c search_path=s1"
    assert arguments["connection_factory"].socket_timeout == 7  # statement + 5 s
    explicit = libpq_arguments("main", {"socket_timeout": 1.5})
    assert explicit["connection_factory"].socket_timeout == 1.5


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("timeout", 0),
        ("statement_timeout", "soon"),
        ("socket_timeout", True),
        ("tcp_user_timeout", -1),
        ("keepalives_count", None),
    ],
)
def test_a_bad_bound_names_its_key(name: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=f"psql_servers.main.{name}"):
        libpq_arguments("main", {name: value})


def test_cancelled_deadlines_leave_the_queue_and_never_fire() -> None:
    queue = Deadlines()
    fired: list[int] = []
    armed = [queue.arm(60, lambda _, i=i: fired.append(i)) for i in range(100)]
    for deadline in armed:
        assert queue.cancel(deadline) is False
    assert queue.pending() == 0 and fired == []
    done = queue.arm(0.01, lambda _: fired.append(-1))
    import time

    deadline = time.monotonic() + 5
    while not fired and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fired == [-1] and queue.cancel(done) is True
