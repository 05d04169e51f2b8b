"""redisc against the real Redis: JSON values, TTLs, hiredis, and a restart."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from envoxy import redisc
from envoxy.exceptions import DatabaseException
from envoxy.redis.client import Client, RedisUnavailable
from envoxy.utils.config import Config
from tests.faults import TcpProxy, proxy_fixture
from tests.services import Service

proxy = proxy_fixture("redis_service")


@pytest.fixture
def servers(redis_service: Service, proxy: TcpProxy, tmp_path: Path) -> Iterator[str]:
    conf = {
        "redis_servers": {
            "main": {"bind": redis_service.address, "db": 3, "ttl": 60},
            "hosted": {
                "host": redis_service.host,
                "port": str(redis_service.port),
                "db": "3",
            },
            "proxied": {
                "bind": proxy.address,
                "db": 3,
                "socket_timeout": 1,
                "connect_timeout": 1,
            },
        }
    }
    path = tmp_path / "envoxy.json"
    path.write_text(json.dumps(conf), encoding="utf-8")
    Config.configure(path, environ={})
    Client.reset_instance()
    prefix = f"envoxy-test:{uuid.uuid4().hex[:8]}:"
    yield prefix
    raw = redisc.client("main")
    for key in raw.scan_iter(f"{prefix}*"):
        raw.delete(key)
    Client.instance().close()
    Client.reset_instance()
    Config.reset()


def test_json_round_trip_and_miss(servers: str) -> None:
    key = servers + "device"
    value = {"id": 1, "tags": ["a", "b"], "nested": {"ok": True}, "text": "李"}
    assert redisc.set("main", key, value)
    assert (
        redisc.get("main", key) == value
    )  # upstream raised AttributeError on every hit
    assert redisc.get("hosted", key) == value  # same server, host/port form
    assert redisc.get("main", servers + "missing") is None
    assert redisc.delete("main", key) == 1
    assert redisc.get("main", key) is None


def test_ttl_default_and_explicit(servers: str) -> None:
    raw = redisc.client("main")
    redisc.set("main", servers + "a", 1)
    assert 55 <= raw.ttl(servers + "a") <= 60  # the server's ttl
    redisc.set("main", servers + "b", 2, ttl=5)
    assert 0 < raw.ttl(servers + "b") <= 5


def test_hiredis_parser_is_in_use(servers: str) -> None:
    assert redis.utils.HIREDIS_AVAILABLE
    connection = redisc.client("main").connection_pool.get_connection()
    try:
        assert "Hiredis" in type(connection._parser).__name__
    finally:
        redisc.client("main").connection_pool.release(connection)


def test_bad_input(servers: str) -> None:
    with pytest.raises(
        DatabaseException, match="No configuration found for redis server key: nope"
    ):
        redisc.get("nope", "k")
    with pytest.raises(TypeError):
        redisc.set("main", servers + "x", {1, 2j})


def test_recovers_after_redis_goes_away(servers: str, proxy: TcpProxy) -> None:
    key = servers + "k"
    assert redisc.set("proxied", key, "before")
    proxy.stop()
    started = time.monotonic()
    with pytest.raises(
        RedisUnavailable, match=r"Redis server 'proxied' at 127\.0\.0\.1:"
    ):
        redisc.get("proxied", key)
    assert time.monotonic() - started < 15
    proxy.start()
    assert redisc.get("proxied", key) == "before"
    assert redisc.set("proxied", key, "after")
    assert redisc.get("main", key) == "after"
