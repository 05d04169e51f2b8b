"""A worker's shutdown closes the pools it opened: the servers see the
connections end while the process still runs (nothing left to process exit)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
import pytest
import redis

from envoxy import pgsqlc, redisc
from envoxy.postgresql.client import Client as PgClient
from envoxy.redis.client import Client as RedisClient
from envoxy.utils.config import Config
from tests.services import Service

lifecycle = pytest.importorskip("envoxyd.lifecycle", reason="envoxyd is not installed")


@pytest.fixture
def configured(
    postgres_service: Service, redis_service: Service, tmp_path: Path
) -> Iterator[None]:
    conf = {
        "psql_servers": {
            "main": {
                "host": postgres_service.host,
                "port": postgres_service.port,
                "db": "test",
                "user": "postgres",
            }
        },
        "redis_servers": {"main": {"bind": redis_service.address, "db": 3}},
    }
    path = tmp_path / "envoxy.json"
    path.write_text(json.dumps(conf), encoding="utf-8")
    Config.configure(path, environ={})
    PgClient.reset_instance()
    RedisClient.reset_instance()
    yield
    PgClient.reset_instance()
    RedisClient.reset_instance()
    Config.reset()


def eventually(check: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_shutdown_closes_database_and_redis_pools(
    configured: None,
    postgres_service: Service,
    redis_service: Service,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = pgsqlc.query("main", "SELECT pg_backend_pid() AS pid")[0]["pid"]
    redis_id = redisc.client("main").client_id()
    watcher = psycopg2.connect(
        host=postgres_service.host,
        port=postgres_service.port,
        dbname="test",
        user="postgres",
    )
    watcher.autocommit = True
    observer = redis.Redis(host=redis_service.host, port=redis_service.port)

    def pg_alive() -> bool:
        with watcher.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (backend,))
            return cursor.fetchone() is not None

    def redis_alive() -> bool:
        return bool(observer.execute_command("CLIENT", "LIST", "ID", redis_id))

    try:
        assert pg_alive() and redis_alive()  # pooled, idle, still connected
        monkeypatch.setitem(lifecycle._state, "done", False)
        lifecycle.shutdown()
        assert eventually(lambda: not pg_alive()), "the PostgreSQL connection stayed"
        assert eventually(lambda: not redis_alive()), "the Redis connection stayed"
    finally:
        watcher.close()
        observer.close()


def test_closing_connectors_builds_nothing() -> None:
    from envoxy import connectors

    PgClient.reset_instance()
    connectors.close_all()
    assert PgClient.existing() is None  # no client was made just to close it
