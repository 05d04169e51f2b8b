"""pgsqlc against the real PostgreSQL: reads, writes, paging, limits and a restart."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from envoxy import pgsqlc
from envoxy.db.orm import session as orm_session
from envoxy.exceptions import DatabaseException
from envoxy.postgresql.client import Client
from envoxy.utils.config import Config
from tests.faults import TcpProxy, proxy_fixture
from tests.services import Service


def _server(address: str, **extra: Any) -> dict[str, Any]:
    host, _, port = address.rpartition(":")
    return {
        "host": host,
        "port": port,
        "db": "test",
        "user": "postgres",
        "passwd": "",
        **extra,
    }


proxy = proxy_fixture("postgres_service")


@pytest.fixture
def pg(postgres_service: Service, proxy: TcpProxy, tmp_path: Path) -> Iterator[str]:
    conf = {
        "psql_servers": {
            "default": "main",
            "main": _server(postgres_service.address, max_rows=5000),
            "proxied": _server(proxy.address, conn_timeout=2, timeout=2),
            "tiny": _server(postgres_service.address, max_conn=1, conn_timeout=0.3),
        }
    }
    path = tmp_path / "envoxy.json"
    path.write_text(json.dumps(conf), encoding="utf-8")
    Config.configure(path, environ={})
    Client.reset_instance()
    table = f"envoxy_t_{uuid.uuid4().hex[:10]}"
    with pgsqlc.transaction("main") as db:
        db.query("main", f"create table {table} (id int primary key, name text)")
    yield table
    with pgsqlc.transaction("main") as db:
        db.query("main", f"drop table if exists {table}")
    pgsqlc.client().close()
    Client.reset_instance()
    orm_session.dispose_all()
    Config.reset()


def fill(table: str, count: int) -> None:
    with pgsqlc.transaction("main") as db:
        db.query(
            "main",
            f"insert into {table} select g, 'row ' || g "
            "from generate_series(1, %(n)s) g",
            {"n": count},
        )


def test_parameterized_query(pg: str) -> None:
    assert pgsqlc.query(
        "main", "select %(a)s::int + 1 as n, %(s)s as s", {"a": 1, "s": "x"}
    ) == [{"n": 2, "s": "x"}]
    assert pgsqlc.query(sql="select 1 as one") == [{"one": 1}]  # default server


def test_rows_are_json_ready(pg: str) -> None:
    (row,) = pgsqlc.query(
        "main",
        "select timestamp '2025-01-02 03:04:05.678901' as naive, "
        "timestamptz '2025-01-02 05:04:05.678+02' as aware, date '2025-01-02' as day, "
        "1.50::numeric as price",
    )
    assert row == {
        "naive": "2025-01-02T03:04:05.678+0000",
        "aware": "2025-01-02T03:04:05.678+0000",
        "day": "2025-01-02",
        "price": Decimal("1.50"),
    }


def test_injection_through_params_is_just_data(pg: str) -> None:
    fill(pg, 3)
    evil = f"x'; drop table {pg}; --"
    assert (
        pgsqlc.query(
            "main", f"select id from {pg} where name = %(name)s", {"name": evil}
        )
        == []
    )
    assert len(pgsqlc.query("main", f"select id from {pg}")) == 3  # still there


def test_writes_through_query_are_refused(pg: str) -> None:
    with pytest.raises(DatabaseException, match="runs read-only"):
        pgsqlc.query("main", f"insert into {pg} values (1, 'a')")
    assert pgsqlc.query("main", f"select count(*) as n from {pg}") == [{"n": 0}]


def test_transaction_commits_rolls_back_and_does_not_nest(pg: str) -> None:
    with pgsqlc.transaction("main") as db:
        db.query(
            "main",
            f"insert into {pg} values (%(id)s, %(name)s)",
            {"id": 1, "name": "a"},
        )
    with pytest.raises(RuntimeError), pgsqlc.transaction("main") as db:
        db.query("main", f"insert into {pg} values (2, 'b')")
        raise RuntimeError("undo")
    with (
        pytest.raises(DatabaseException, match="Nested transactions"),
        pgsqlc.transaction("main"),
    ):
        with pgsqlc.transaction("main"):
            pass
    with (
        pytest.raises(DatabaseException, match="duplicate key"),
        pgsqlc.transaction("main") as db,
    ):
        db.query("main", f"insert into {pg} values (1, 'again')")
    assert pgsqlc.query("main", f"select id, name from {pg}") == [
        {"id": 1, "name": "a"}
    ]


def test_paging_always_terminates(pg: str) -> None:
    fill(pg, 25)
    paged = pgsqlc.query(
        "main",
        f"select id from {pg} order by id limit %(chunk_size)s offset %(offset_limit)s",
        {"chunk_size": 10},
    )
    assert [r["id"] for r in paged] == list(range(1, 26))
    # upstream looped forever here: "limit" in the SQL, exactly chunk_size rows
    fixed = pgsqlc.query(
        "main", f"select id from {pg} order by id limit 10", {"chunk_size": 10}
    )
    assert len(fixed) == 10
    with pytest.raises(DatabaseException, match="chunk_size must be a positive"):
        pgsqlc.query(
            "main",
            "select 1 limit %(chunk_size)s offset %(offset_limit)s",
            {"chunk_size": 0},
        )


def test_huge_result_is_refused_not_loaded(pg: str) -> None:
    with pytest.raises(DatabaseException, match="more than max_rows=5000"):
        pgsqlc.query("main", "select g from generate_series(1, 2000000) g")
    assert pgsqlc.query("main", "select 1 as ok") == [{"ok": 1}]  # the pool is fine


@pytest.mark.parametrize(
    ("server_key", "sql", "params", "message"),
    [
        ("nope", "select 1", None, "No configuration found for server key: nope"),
        ("main", "", None, "Sql cannot be empty"),
        ("main", "select %(a)s", ("tuple",), "params must be a mapping"),
        ("main", "selec 1", None, "query failed: syntax error"),
        ("main", "select %(missing)s", {}, "parameters do not fit the SQL"),
        ("main", "select '100%' as p", {}, "parameters do not fit the SQL"),
    ],
)
def test_bad_input_is_a_clear_error(
    pg: str, server_key: str, sql: str, params: Any, message: str
) -> None:
    with pytest.raises(DatabaseException, match=message):
        pgsqlc.query(server_key, sql, params)
    assert pgsqlc.query("main", "select 1 as ok") == [{"ok": 1}]


def test_pool_acquire_is_bounded(pg: str) -> None:
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with pgsqlc.transaction("tiny"):
            holding.set()
            release.wait(5)

    worker = threading.Thread(target=hold)
    worker.start()
    try:
        assert holding.wait(5)
        started = time.monotonic()
        with pytest.raises(
            DatabaseException, match="Timeout waiting for a connection to server 'tiny'"
        ):
            pgsqlc.query("tiny", "select 1")
        assert time.monotonic() - started < 5
    finally:
        release.set()
        worker.join()
    assert pgsqlc.query("tiny", "select 1 as ok") == [{"ok": 1}]


def test_recovers_after_the_server_goes_away(pg: str, proxy: TcpProxy) -> None:
    assert pgsqlc.query("proxied", "select 1 as ok") == [{"ok": 1}]
    proxy.stop()  # every connection cut, nothing listening
    started = time.monotonic()
    with pytest.raises(DatabaseException, match="proxied"):
        pgsqlc.query("proxied", "select 1 as ok")
    assert time.monotonic() - started < 30  # bounded retries, not a hang
    proxy.start()  # the "server" is back on the same port
    assert pgsqlc.query("proxied", "select 2 as ok") == [{"ok": 2}]


def test_orm_sessions_through_pgsqlc(pg: str) -> None:
    with pgsqlc.sa_session() as session:
        assert session.execute(text("select 41 + 1")).scalar() == 42
    assert pgsqlc.sa_manager("main") is orm_session.get_manager("main")

    @pgsqlc.sa_transactional("main")
    def read(session: Any) -> int:
        return int(session.execute(text("select 7")).scalar())

    assert read() == 7
