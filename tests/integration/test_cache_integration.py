"""The cache on real servers: Redis as the backend, PostgreSQL as the origin."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from envoxy import pgsqlc
from envoxy.cache import RedisCache
from envoxy.exceptions import DatabaseException
from envoxy.postgresql.client import Client as PgClient
from envoxy.utils.config import Config
from tests.concurrency import run_together
from tests.faults import TcpProxy
from tests.services import Service


@pytest.fixture
def redis_cache(redis_service: Service) -> Iterator[RedisCache]:
    store = RedisCache(
        {
            "bind": redis_service.address,
            "db": 4,
            "key_prefix": f"t{uuid.uuid4().hex[:8]}",
        }
    )
    yield store
    for key in store.redis.scan_iter(f"{store.key_prefix}:*"):
        store.redis.delete(key)


def test_redis_backend_round_trip_and_single_flight(redis_cache: RedisCache) -> None:
    key = redis_cache.key("/v3/things", "get", {"page": 1})
    calls: list[int] = []
    gate = threading.Event()

    def load() -> dict[str, int]:
        calls.append(1)
        gate.wait(5)
        return {"page": 1}

    results = run_together(8, lambda: redis_cache.get_or_load(key, load, ttl=30), gate)
    assert len(calls) == 1
    assert results == [{"page": 1}] * 8
    assert 0 < redis_cache.redis.pttl(key) <= 30_000
    assert redis_cache.get("/v3/things", "get", {"page": 1}) == {
        "page": 1
    }  # upstream API


def test_redis_down_means_a_miss_not_a_failure(redis_service: Service) -> None:
    with TcpProxy(redis_service.host, redis_service.port) as proxy:
        store = RedisCache(
            {"bind": proxy.address, "db": 4, "socket_timeout": 1, "connect_timeout": 1}
        )
        proxy.stop()
        assert store.get_or_load("k", lambda: "from origin") == "from origin"


@pytest.fixture
def pg_origin(postgres_service: Service, tmp_path: Path) -> Iterator[TcpProxy]:
    with TcpProxy(postgres_service.host, postgres_service.port) as proxy:
        host, _, port = proxy.address.rpartition(":")
        conf = {
            "psql_servers": {
                "origin": {
                    "host": host,
                    "port": port,
                    "db": "test",
                    "user": "postgres",
                    "timeout": 2,
                    "conn_timeout": 2,
                }
            }
        }
        path = tmp_path / "envoxy.json"
        path.write_text(json.dumps(conf), encoding="utf-8")
        Config.configure(path, environ={})
        PgClient.reset_instance()
        yield proxy
        PgClient.instance().close()
        PgClient.reset_instance()
        Config.reset()


def test_stale_value_while_postgres_is_down(
    redis_cache: RedisCache, pg_origin: TcpProxy
) -> None:
    key = redis_cache.key("/v3/report", "get", {})

    def origin() -> list[dict[str, object]]:
        return pgsqlc.query("origin", "select 7 as answer")

    assert redis_cache.get_or_load(key, origin, ttl=0.2, stale_if_error=30) == [
        {"answer": 7}
    ]
    time.sleep(0.3)  # no longer fresh
    pg_origin.stop()  # the origin goes away
    assert redis_cache.get_or_load(key, origin, ttl=0.2, stale_if_error=30) == [
        {"answer": 7}
    ]
    with pytest.raises(DatabaseException):
        origin()  # really down: the value above was the stale copy
    pg_origin.start()
    assert redis_cache.get_or_load(key, origin, ttl=0.2, stale_if_error=30) == [
        {"answer": 7}
    ]
