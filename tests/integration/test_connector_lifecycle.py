"""Issue 13: every connector is parsed, started, checked and closed the same
way (envoxy.connectors), against the real servers and a real envoxyd."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from envoxy import pgsqlc
from envoxy.db.orm import session as orm_session
from envoxy.exceptions import DatabaseException
from envoxy.postgresql.client import Client as PgClient
from envoxy.utils.config import Config
from tests.daemon import SECRET, VIEWS, Daemon, free_port, token
from tests.services import Service

pytestmark = pytest.mark.integration

NO_VIEWS = """
from envoxy import View, on


@on(endpoint="/v3/ping", protocols=["http"])
class Ping(View):
    def get(self, request, **kwargs):
        return {"pong": True}


__loader__ = [Ping]
"""


def _pg(address: str, **extra: Any) -> dict[str, Any]:
    host, _, port = address.rpartition(":")
    return {"host": host, "port": port, "db": "test", "user": "postgres", **extra}


@pytest.fixture
def one_pool(postgres_service: Service, tmp_path: Path) -> Any:
    host, _, port = postgres_service.address.rpartition(":")
    Config.configure(
        environ={},
        cli={
            "psql_servers": {
                "main": _pg(postgres_service.address, max_conn=2, conn_timeout=0.3),
                "by_url": {"url": f"postgresql://postgres@{host}:{port}/test"},
            }
        },
    )
    PgClient.reset_instance()
    yield
    PgClient.reset_instance()
    orm_session.dispose_all()
    Config.reset()


def test_pgsqlc_and_the_orm_share_one_pool_per_key(one_pool: None) -> None:
    """One psql_servers entry had two stacks (a psycopg2 pool and an
    SQLAlchemy pool: up to 50 connections per worker per key). Now both use
    the key's one engine: two ORM sessions holding its max_conn=2 leave
    pgsqlc waiting for a connection, then it gets one."""
    engine = orm_session.get_manager("main").engine
    assert pgsqlc.client()._server("main").engine is engine
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with (
            orm_session.session_scope("main") as one,
            orm_session.session_scope("main") as two,
        ):
            one.execute(text("select 1"))
            two.execute(text("select 1"))
            held.set()
            release.wait(10)

    worker = threading.Thread(target=hold)
    worker.start()
    try:
        assert held.wait(10)
        with pytest.raises(DatabaseException, match="Timeout waiting for a connection"):
            pgsqlc.query("main", "select 1 as ok")
    finally:
        release.set()
        worker.join()
    assert pgsqlc.query("main", "select 1 as ok") == [{"ok": 1}]
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_a_url_entry_serves_pgsqlc_and_the_orm(one_pool: None) -> None:
    """A url entry worked for sa_session only (pgsqlc: 'lacks host, db, user')."""
    assert pgsqlc.query("by_url", "select %(n)s::int as n", {"n": 3}) == [{"n": 3}]
    with pgsqlc.sa_session("by_url") as session:
        assert session.execute(text("select 4")).scalar() == 4


def test_a_sqlite_entry_is_refused_by_pgsqlc_with_the_reason(tmp_path: Path) -> None:
    Config.configure(
        environ={},
        cli={"psql_servers": {"local": {"url": f"sqlite:///{tmp_path}/x.db"}}},
    )
    PgClient.reset_instance()
    try:
        with pytest.raises(DatabaseException, match="is sqlite: pgsqlc runs"):
            pgsqlc.query("local", "select 1")
        with pgsqlc.sa_session("local") as session:  # the ORM serves it
            assert session.execute(text("select 5")).scalar() == 5
    finally:
        PgClient.reset_instance()
        orm_session.dispose_all()
        Config.reset()


def _wait_ready(daemon: Daemon, timeout: float = 15) -> tuple[int, Any]:
    deadline = time.monotonic() + timeout
    status, body = 0, None
    while time.monotonic() < deadline:
        status, _, body = daemon.get("/_health/ready", timeout=5)
        if status == 200:
            break
        time.sleep(0.2)
    return status, body


def test_readiness_covers_every_connector_form(
    tmp_path: Path,
    postgres_service: Service,
    redis_service: Service,
    couchdb_service: Service,
    mosquitto_service: Service,
) -> None:
    """A publish-only MQTT service (no MQTT views) was never ready (503), and
    a psql url entry was not checked. Now every entry of every section is
    checked the same way and the daemon is ready."""
    host, _, port = postgres_service.address.rpartition(":")
    conf = {
        "psql_servers": {
            "main": _pg(postgres_service.address),
            "by_url": {"url": f"postgresql://postgres@{host}:{port}/test"},
        },
        "redis_servers": {"cache": {"bind": redis_service.address}},
        "couchdb_servers": {"docs": {"bind": f"http://{couchdb_service.address}"}},
        "mqtt_servers": {"events": {"bind": f"mqtt://{mosquitto_service.address}"}},
        "cache": {"backend": "redis", "bind": redis_service.address, "db": 1},
        "zmq_server": {"bind": f"tcp://127.0.0.1:{free_port()}"},
    }
    daemon = Daemon(tmp_path, conf, NO_VIEWS).start()
    try:
        status, body = _wait_ready(daemon)
        assert status == 200, body
        checks = body["checks"]
        for name in (
            "psql_servers.main",
            "psql_servers.by_url",
            "redis_servers.cache",
            "couchdb_servers.docs",
            "mqtt_servers.events",
            "cache",
            "zmq_server",
        ):
            assert checks[name]["ok"] is True, (name, checks)
        assert checks["mqtt_servers.events"]["subscriptions"] == 0
    finally:
        assert daemon.stop() == 0


@pytest.mark.parametrize(
    ("section", "entry", "named"),
    [
        (
            "redis_servers",
            {"bind": "127.0.0.1:6379", "socket_timeout": "soon"},
            "redis_servers.main",
        ),
        ("couchdb_servers", {"bind": "ftp://x"}, "couchdb_servers.main"),
        (
            "psql_servers",
            {"host": "h", "db": "d", "user": "u", "max_conn": 0},
            "psql_servers.main.max_conn",
        ),
        ("psql_servers", {"host": "h", "user": "u"}, "psql_servers.main lacks db"),
        ("amqp_servers", {"host": "127.0.0.1"}, "amqp_servers.main lacks user"),
        (
            "psql_servers",
            {"url": "postgresql://h/d", "retries": -1},
            "psql_servers.main.retries",
        ),
        (
            "couchdb_servers",
            {"bind": "http://h:5984", "backoff_ms": "x"},
            "couchdb_servers.main.backoff_ms",
        ),
        (
            "redis_servers",
            {"bind": "h:6379", "retries": "many"},
            "redis_servers.main.retries",
        ),
        (
            "zmq_servers",
            {"host": "h", "port": 1, "deadline_ms": 0},
            "zmq_servers.main.deadline_ms",
        ),
        (
            "clickhouse_servers",
            {"host": "h", "query_timout": 5},
            "clickhouse_servers.main: unknown key(s) query_timout",
        ),
        (
            "clickhouse_servers",
            {"host": "h", "max_execution_time": "0"},
            "clickhouse_servers.main.max_execution_time",
        ),
    ],
)
def test_a_bad_connector_entry_stops_the_boot_naming_it(
    tmp_path: Path, section: str, entry: Any, named: str
) -> None:
    """Each connector's entries are parsed in envoxyd's preflight: exit 2 and
    one line naming the key, before any worker exists."""
    daemon = Daemon(tmp_path, {section: {"main": entry}}, NO_VIEWS)
    done = subprocess.run(
        daemon.command(), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], lines


@pytest.mark.parametrize(
    ("section", "value", "named"),
    [
        ("cache", {"backend": "memory", "capacity": 0}, "cache.capacity"),
        ("cache", {"backend": "memcached"}, "cache.backend"),
        (
            "zmq_server",
            {"bind": "tcp://127.0.0.1:5555", "workers": 0},
            "zmq_server.workers",
        ),
    ],
)
def test_a_bad_single_section_stops_the_boot_naming_it(
    tmp_path: Path, section: str, value: Any, named: str
) -> None:
    daemon = Daemon(tmp_path, {section: value}, NO_VIEWS)
    done = subprocess.run(
        daemon.command(), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], lines


def test_mqtt_workers_is_checked_at_boot(tmp_path: Path) -> None:
    conf = {
        "mqtt_servers": {"events": {"bind": "mqtt://127.0.0.1:1883"}},
        "mqtt_workers": {"max_workers": "many"},
    }
    daemon = Daemon(tmp_path, conf, NO_VIEWS)
    done = subprocess.run(
        daemon.command(), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2, done.stderr
    assert "mqtt_workers.max_workers" in done.stderr


def test_a_jwt_secret_from_the_environment_alone_authenticates(tmp_path: Path) -> None:
    """13: ENVOXY_AUTH__JWT__SECRET was ignored unless envoxy.json already had
    an ``auth`` key (KNOWN_KEYS missed it): the boot then refused
    @auth_required views for want of a backend."""
    env = {
        "ENVOXY_AUTH__JWT__SECRET": SECRET,
        "ENVOXY_AUTH__JWT__ALGORITHMS": '["HS256"]',
        "ENVOXY_AUTH__JWT__AUDIENCE": "envoxy-tests",
        "ENVOXY_AUTH__JWT__ISSUER": "https://issuer.test",
    }
    conf = {"zmq_server": {"bind": f"tcp://127.0.0.1:{free_port()}"}}
    daemon = Daemon(tmp_path, conf, VIEWS, env=env).start()
    try:
        status, _, body = daemon.get(
            "/v3/admin", headers={"Authorization": f"Bearer {token()}"}
        )
        assert (status, body) == (200, {"sub": "user-1"})
        assert daemon.get("/v3/admin")[0] == 401
    finally:
        assert daemon.stop() == 0


def test_a_black_holed_pooled_connection_is_a_query_timeout(
    postgres_service: Service,
) -> None:
    """The one pool checks a connection before reuse (pre-ping): against a
    server that went silent that check is bounded by socket_timeout and
    raises QueryTimeout; the next call opens a new connection, bounded by
    the connect timeout, and the pool recovers once the server answers."""
    from envoxy.postgresql.bounds import QueryTimeout
    from tests.faults import TcpProxy

    with TcpProxy(postgres_service.host, postgres_service.port) as proxy:
        conf = _pg(
            proxy.address,
            statement_timeout=1000,
            socket_timeout=1,
            timeout=1,
            retries=0,
        )
        Config.configure(environ={}, cli={"psql_servers": {"hole": conf}})
        PgClient.reset_instance()
        try:
            assert pgsqlc.query("hole", "select 1 as one") == [{"one": 1}]
            proxy.blackhole()
            with pytest.raises(QueryTimeout, match="did not answer within 1 s"):
                pgsqlc.query("hole", "select 1 as one")
            with pytest.raises(DatabaseException):
                pgsqlc.query("hole", "select 1 as one")  # a new connect, bounded
            proxy.restore()
            deadline = time.monotonic() + 20
            while True:
                try:
                    assert pgsqlc.query("hole", "select 2 as two") == [{"two": 2}]
                    break
                except DatabaseException:
                    assert time.monotonic() < deadline
                    time.sleep(0.2)
        finally:
            PgClient.reset_instance()
            orm_session.dispose_all()
            Config.reset()


def test_envoxyd_check_runs_the_preflight_alone(tmp_path: Path) -> None:
    """``envoxyd --check`` (a CI step): the same preflight as a boot, exit 0
    and one line when it passes, exit 2 naming the key when it does not; no
    daemon is left running either way."""
    good = Daemon(tmp_path, {"psql_servers": {"main": _pg("127.0.0.1:1")}}, NO_VIEWS)
    done = subprocess.run(
        [*good.command(), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(
        "the config and the views load (no connection made)"
    )
    bad_folder = tmp_path / "bad"
    bad_folder.mkdir()
    bad = Daemon(
        bad_folder, {"redis_servers": {"main": {"bind": "h:1", "retries": "x"}}}
    )
    done = subprocess.run(
        [*bad.command(), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "redis_servers.main.retries" in done.stderr and done.stdout == ""
