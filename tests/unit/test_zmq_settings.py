"""zmq_servers / zmq_workers parsing: upstream's keys, ours, clear errors."""

from __future__ import annotations

import pytest

from envoxy.exceptions import ConfigError
from envoxy.zeromq.settings import parse_server, parse_workers


def test_upstream_entry_with_string_port() -> None:
    settings = parse_server("platform", {"host": "127.0.0.1", "port": "51997"})
    assert settings.address == "tcp://127.0.0.1:51997"
    assert (settings.timeout_ms, settings.retries, settings.deadline_ms) == (
        5000,
        2,
        15000,
    )
    assert settings.pool_size == 50 and settings.cached_routes == {}


def test_bind_url_and_our_keys() -> None:
    workers = parse_workers({"context_max_workers": "4"})
    settings = parse_server(
        "s",
        {"bind": "tcp://10.0.0.1:6000", "timeout_ms": 200, "retries": 0},
        workers,
    )
    assert settings.address == "tcp://10.0.0.1:6000"
    assert settings.retries == 0 and settings.pool_size == 4


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ({"host": "h"}, "zmq_servers.s: host and port"),
        ({"host": "h", "port": "x"}, r"zmq_servers.s.port: expected an integer"),
        ({"host": "h", "port": 1, "timeout_ms": 0}, "timeout_ms: must be at least 1"),
        (
            {"host": "h", "port": 1, "retries": -1},
            "retries: expected an integer of at least 0",
        ),
        ({"bind": "http://h:1"}, "bind: expected tcp://host:port"),
        ({"host": "h", "port": 1, "cached_routes": "x"}, "cached_routes"),
        ("tcp://h:1", "expected an object"),
    ],
)
def test_bad_entries_name_the_key(conf: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_server("s", conf)  # type: ignore[arg-type]


def test_workers_defaults_and_errors() -> None:
    assert parse_workers(None).executor_threads == 50
    with pytest.raises(ConfigError, match="thread_poll_executor_max_workers"):
        parse_workers({"thread_poll_executor_max_workers": 0})
