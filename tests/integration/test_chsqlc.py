"""chsqlc against ClickHouse (the engine through `make services`' HTTP front):
JSON-ready rows, bound parameters, the read-only guard, the server's own
limits, bounded retries through a cut connection, one client per thread, and
envoxyd serving a view that queries it."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

try:
    import clickhouse_connect
except ImportError:  # the optional extra; CI installs it (make install)
    if os.environ.get("CI"):
        raise
    pytest.skip(
        "the clickhouse extra is not installed: pip install 'envoxy[clickhouse]'",
        allow_module_level=True,
    )
from clickhouse_connect.driver.exceptions import DatabaseError

from envoxy import chsqlc
from envoxy.clickhouse.client import ClickHouseQueryError, Client
from envoxy.clickhouse.connector import CONNECTOR
from envoxy.exceptions import DatabaseException
from envoxy.utils.config import Config
from tests.concurrency import eventually
from tests.daemon import Daemon
from tests.faults import TcpProxy, proxy_fixture
from tests.services import Service

proxy = proxy_fixture("clickhouse_service")

ROWS = [
    (
        1,
        "o'brien",
        "2024-01-02 03:04:05",
        "2024-01-02 03:04:05.678",
        "2024-01-02",
        "12.50",
        "2a65a95e-1fa8-42b2-8ee5-e38f81ebfee2",
    ),
    (
        2,
        "李",
        "2024-06-30 23:59:59",
        "2024-06-30 23:59:59.001",
        "2024-06-30",
        "0.05",
        "00000000-0000-0000-0000-000000000001",
    ),
]


def _admin(service: Service) -> Any:
    """A writable client of the test's own, to set the data up."""
    return clickhouse_connect.get_client(host=service.host, port=service.port)


@pytest.fixture(scope="module")
def database(clickhouse_service: Service) -> Iterator[str]:
    name = f"envoxy_test_{uuid.uuid4().hex[:8]}"
    admin = _admin(clickhouse_service)
    admin.command(f"CREATE DATABASE {name}")
    admin.command(
        f"CREATE TABLE {name}.readings (id UInt32, who String, at DateTime, "
        "at_tokyo DateTime64(3, 'Asia/Tokyo'), day Date, amount Decimal(10, 2), "
        "ref UUID) ENGINE = MergeTree ORDER BY id"
    )
    values = ", ".join(
        f"({i}, '{who.replace(chr(39), chr(92) + chr(39))}', '{at}', "
        f"toDateTime64('{at64}', 3, 'Asia/Tokyo'), '{day}', {amount}, '{ref}')"
        for i, who, at, at64, day, amount, ref in ROWS
    )
    admin.command(f"INSERT INTO {name}.readings VALUES {values}")
    yield name
    admin.command(f"DROP DATABASE IF EXISTS {name}")
    admin.close()


def _configure(tmp_path: Path, servers: dict[str, Any]) -> None:
    path = tmp_path / "envoxy.json"
    path.write_text(json.dumps({"clickhouse_servers": servers}), encoding="utf-8")
    Config.configure(path, environ={})
    Client.reset_instance()


@pytest.fixture
def servers(
    clickhouse_service: Service, proxy: TcpProxy, database: str, tmp_path: Path
) -> Iterator[TcpProxy]:
    host, port = clickhouse_service.host, str(clickhouse_service.port)
    _configure(
        tmp_path,
        {
            "main": {"host": host, "port": port, "db": database},
            "strict": {
                "host": host,
                "port": port,
                "db": database,
                "max_execution_time": 1,
                "max_rows": 1,
            },
            "proxied": {
                "host": "127.0.0.1",
                "port": proxy.port,
                "db": database,
                "retries": 2,
                "backoff_ms": 20,
                "connect_timeout": 1,
            },
            "once": {
                "host": "127.0.0.1",
                "port": proxy.port,
                "retries": 0,
                "connect_timeout": 1,
            },
        },
    )
    yield proxy
    existing = Client.existing()
    if existing is not None:
        existing.close()
    Client.reset_instance()
    Config.reset()


def test_rows_are_json_ready_as_upstream(servers: TcpProxy) -> None:
    rows = chsqlc.query("main", "SELECT * FROM readings ORDER BY id")
    assert rows == [
        {
            "id": 1,
            "who": "o'brien",
            "at": "2024-01-02T03:04:05.000+0000",
            "at_tokyo": "2024-01-01T18:04:05.678+0000",
            "day": "2024-01-02",
            "amount": 12.5,
            "ref": "2a65a95e-1fa8-42b2-8ee5-e38f81ebfee2",
        },
        {
            "id": 2,
            "who": "李",
            "at": "2024-06-30T23:59:59.000+0000",
            "at_tokyo": "2024-06-30T14:59:59.001+0000",
            "day": "2024-06-30",
            "amount": 0.05,
            "ref": "00000000-0000-0000-0000-000000000001",
        },
    ]
    json.dumps(rows)  # nothing left for a default hook


def test_values_are_bound_never_formatted(servers: TcpProxy) -> None:
    hostile = "o'brien' OR 1=1; DROP TABLE readings; --"
    assert (
        chsqlc.query(
            "main", "SELECT id FROM readings WHERE who = %(w)s", {"w": hostile}
        )
        == []
    )
    assert chsqlc.query(
        "main", "SELECT id FROM readings WHERE who = %(w)s", {"w": "o'brien"}
    ) == [{"id": 1}]
    assert chsqlc.query("main", "SELECT {n:UInt32} * 2 AS twice", {"n": 21}) == [
        {"twice": 42}
    ]
    assert chsqlc.query("main", "SELECT count() AS n FROM readings") == [{"n": 2}]


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO readings (id) VALUES (9)",
        "CREATE TABLE sneaky (x UInt8) ENGINE = Memory",
        "DROP TABLE readings",
        "ALTER TABLE readings DELETE WHERE 1",
    ],
)
def test_writes_are_refused_by_the_server(servers: TcpProxy, sql: str) -> None:
    with pytest.raises(ClickHouseQueryError) as caught:
        chsqlc.query("main", sql)
    assert caught.value.code == 164 and "readonly" in str(caught.value).lower()
    assert str(caught.value).startswith("[CH:main] Code: 164.")
    assert isinstance(caught.value, DatabaseError)  # what upstream let through
    assert isinstance(caught.value, DatabaseException)
    assert chsqlc.query("main", "SELECT count() AS n FROM readings") == [{"n": 2}]


def test_query_settings_cannot_lift_the_guard(servers: TcpProxy) -> None:
    with pytest.raises(DatabaseException, match="cannot change readonly"):
        chsqlc.query("main", "DROP TABLE readings", query_settings={"readonly": 0})
    assert chsqlc.query("main", "SELECT count() AS n FROM readings") == [{"n": 2}]


def test_the_servers_limits_hold_and_query_settings_overlay_them(
    servers: TcpProxy,
) -> None:
    with pytest.raises(ClickHouseQueryError) as slow:
        chsqlc.query("strict", "SELECT sleep(1.5) AS s")
    assert slow.value.code == 159  # TIMEOUT_EXCEEDED, enforced by ClickHouse
    with pytest.raises(ClickHouseQueryError) as many:
        chsqlc.query("strict", "SELECT id FROM readings")
    assert many.value.code == 396  # TOO_MANY_ROWS_OR_BYTES: max_rows
    assert chsqlc.query(
        "strict",
        "SELECT id FROM readings ORDER BY id",
        query_settings={"max_result_rows": 10},
    ) == [{"id": 1}, {"id": 2}]
    settings = chsqlc.query(
        "main",
        "SELECT getSetting('max_execution_time') AS t, getSetting('readonly') AS r",
        query_settings={"max_execution_time": 7},
    )
    assert settings == [{"t": 7, "r": 2}]


def test_upstreams_errors_word_for_word(servers: TcpProxy) -> None:
    with pytest.raises(DatabaseException) as empty:
        chsqlc.query("main", "   ")
    assert str(empty.value) == "[CH] SQL query cannot be empty"
    with pytest.raises(DatabaseException) as unknown:
        chsqlc.query("nope", "SELECT 1")
    assert str(unknown.value) == "[CH] No configuration found for server key: 'nope'"
    with pytest.raises(ClickHouseQueryError) as bad:
        chsqlc.query("main", "SELEC 1")
    assert bad.value.code == 62


def test_no_section_is_upstreams_error(tmp_path: Path) -> None:
    path = tmp_path / "envoxy.json"
    path.write_text("{}", encoding="utf-8")
    Config.configure(path, environ={})
    try:
        with pytest.raises(
            DatabaseException, match="Error to find ClickHouse Servers config"
        ):
            chsqlc.query("main", "SELECT 1")
    finally:
        Config.reset()


def test_a_lost_server_is_retried_a_bounded_number_of_times(servers: TcpProxy) -> None:
    proxy = servers
    assert chsqlc.query("proxied", "SELECT 1 AS one") == [{"one": 1}]
    proxy.stop()  # the pooled connection is cut and nothing listens
    with pytest.raises(DatabaseException) as failed:
        chsqlc.query("proxied", "SELECT 1 AS one")
    message = str(failed.value)
    assert message.startswith("[CH:proxied] Query failed after 3 attempts: ")
    assert "Connection refused" in message and f"127.0.0.1:{proxy.port}" in message
    with pytest.raises(
        DatabaseException, match=r"^\[CH:once\] Query failed after 1 attempts"
    ):
        chsqlc.query("once", "SELECT 1")
    proxy.start()
    assert chsqlc.query("proxied", "SELECT 2 AS two") == [{"two": 2}]


def test_a_connection_cut_between_queries_is_healed_by_a_retry(
    servers: TcpProxy,
) -> None:
    proxy = servers
    assert chsqlc.query("proxied", "SELECT 1 AS one") == [{"one": 1}]
    proxy.stop()
    proxy.start()  # the pooled socket is dead; the server is back
    assert chsqlc.query("proxied", "SELECT id FROM readings ORDER BY id") == [
        {"id": 1},
        {"id": 2},
    ]


def _established_to(port: int) -> int:
    """Open client-side TCP connections of this machine to ``port``."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[2].split(":")[1], 16) == port and fields[3] == "01":
            count += 1
    return count


def test_each_thread_has_its_own_client_and_close_reaches_them_all(
    servers: TcpProxy,
) -> None:
    proxy = servers
    results: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    started = threading.Barrier(6)
    finished = threading.Event()

    def work(n: int) -> None:
        try:
            for _ in range(5):
                rows = chsqlc.query("proxied", "SELECT %(n)s AS n", {"n": n})
                with lock:
                    results.append(rows[0]["n"])
            started.wait(10)
            finished.wait(30)  # alive, its connection open, until closed
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    try:
        assert eventually(lambda: len(results) == 30 or bool(errors))
        assert not errors, errors
        assert sorted(results) == sorted(list(range(6)) * 5)
        # one client (one pooled connection) per thread, all still open
        assert eventually(lambda: _established_to(proxy.port) == 6)
        chsqlc.client().close()  # shutdown, from a thread that never queried
        assert eventually(lambda: _established_to(proxy.port) == 0)
    finally:
        finished.set()
        for thread in threads:
            thread.join(30)
    assert chsqlc.query("proxied", "SELECT 3 AS three") == [{"three": 3}]


def test_readiness_check_uses_its_own_client(servers: TcpProxy) -> None:
    proxy = servers
    assert CONNECTOR.check("proxied", 1.0) == {"ok": True}
    proxy.stop()
    with pytest.raises(DatabaseError):
        CONNECTOR.check("proxied", 1.0)
    proxy.start()


def test_a_wrong_password_is_refused_and_never_printed(
    clickhouse_service: Service, database: str, tmp_path: Path
) -> None:
    _configure(
        tmp_path,
        {
            "main": {
                "host": clickhouse_service.host,
                "port": clickhouse_service.port,
                "username": "default",
                "passwd": "s3cret-value-xyz",
            }
        },
    )
    try:
        with pytest.raises(ClickHouseQueryError) as refused:
            chsqlc.query("main", "SELECT 1")
        assert refused.value.code == 516
        assert "s3cret-value-xyz" not in str(refused.value)
    finally:
        Client.reset_instance()
        Config.reset()


CH_VIEWS = """
from envoxy import Response, View, chsqlc, on


@on(endpoint="/v1/readings", protocols=["http"])
class Readings(View):
    def get(self, request, **kwargs):
        sql = "SELECT id, at, amount FROM readings ORDER BY id"
        return Response(chsqlc.query("main", sql))


__loader__ = [Readings]
"""


def test_envoxyd_serves_a_view_on_chsqlc_and_checks_it(
    tmp_path: Path, clickhouse_service: Service, database: str
) -> None:
    conf = {
        "clickhouse_servers": {
            "main": {
                "host": clickhouse_service.host,
                "port": clickhouse_service.port,
                "db": database,
            }
        }
    }
    daemon = Daemon(tmp_path, conf, CH_VIEWS).start()
    try:
        status, _, body = daemon.get("/v1/readings")
        assert status == 200, body
        assert body == {  # a list body is upstream's envelope
            "elements": [
                {"id": 1, "at": "2024-01-02T03:04:05.000+0000", "amount": 12.5},
                {"id": 2, "at": "2024-06-30T23:59:59.000+0000", "amount": 0.05},
            ],
            "size": 2,
        }
        status, _, ready = daemon.get("/_health/ready")
        assert status == 200, ready
        assert ready["checks"]["clickhouse_servers.main"]["ok"] is True
    finally:
        assert daemon.stop() == 0
