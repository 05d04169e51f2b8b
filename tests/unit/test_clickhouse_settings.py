"""chsqlc's config and rows without a server: upstream's keys and defaults,
every limit explicit, unknown keys refused, and envoxy usable without the
optional driver."""

from __future__ import annotations

import datetime as dt
import decimal
import subprocess
import sys
import textwrap
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envoxy.clickhouse.client import (
    DEFAULT_MAX_EXECUTION_TIME,
    DEFAULT_MAX_ROWS,
    server_settings,
)
from envoxy.db.rows import json_ready, normalize_row
from envoxy.exceptions import ConfigError


def test_upstreams_defaults() -> None:
    settings = server_settings("main", {})
    options = settings.client_options()
    assert options["host"] == "localhost" and options["port"] == 8123
    assert options["username"] == "default" and options["password"] == ""
    assert options["database"] == "default"
    assert options["secure"] is False and options["compress"] is True
    assert options["query_limit"] == 0
    assert options["settings"] == {"readonly": 2}
    assert settings.retry.retries == 2  # three attempts, as upstream
    assert settings.query_settings(None) == {
        "max_execution_time": DEFAULT_MAX_EXECUTION_TIME,
        "max_result_rows": DEFAULT_MAX_ROWS,
        "result_overflow_mode": "throw",
    }


def test_upstream_spellings_and_string_numbers_are_honoured() -> None:
    settings = server_settings(
        "events",
        {
            "host": "ch.internal",
            "port": "9000",
            "db": "metrics",
            "username": "reader",
            "passwd": "pw",
            "secure": "true",
            "compress": False,
            "max_threads": "4",
            "max_execution_time": "12",
            "query_timeout": "20",
        },
    )
    options = settings.client_options()
    assert (options["host"], options["port"], options["database"]) == (
        "ch.internal",
        9000,
        "metrics",
    )
    assert (options["username"], options["password"]) == ("reader", "pw")
    assert options["secure"] is True and options["compress"] is False
    assert options["settings"] == {"readonly": 2, "max_threads": 4}
    assert options["send_receive_timeout"] == 20.0
    assert settings.query_settings({"max_execution_time": 3})["max_execution_time"] == 3
    assert settings.query_settings({})["max_execution_time"] == 12
    assert "pw" not in repr(settings)


def test_query_timeout_follows_max_execution_time_by_default() -> None:
    """The socket waits longer than the server's own limit, so the server's
    TIMEOUT_EXCEEDED arrives rather than a read timeout."""
    assert server_settings("k", {"max_execution_time": 50}).query_timeout == 60


@pytest.mark.parametrize(
    ("conf", "named"),
    [
        ({"query_timout": 3}, "clickhouse_servers.main: unknown key(s) query_timout"),
        ({"port": "http"}, "clickhouse_servers.main.port"),
        ({"port": 0}, "clickhouse_servers.main.port"),
        ({"secure": "maybe"}, "clickhouse_servers.main.secure"),
        ({"max_execution_time": 0}, "clickhouse_servers.main.max_execution_time"),
        ({"max_rows": -1}, "clickhouse_servers.main.max_rows"),
        ({"max_threads": True}, "clickhouse_servers.main.max_threads"),
        ({"retries": -1}, "clickhouse_servers.main.retries"),
        ({"connect_timeout": "soon"}, "clickhouse_servers.main.connect_timeout"),
    ],
)
def test_a_bad_entry_is_a_config_error_naming_the_key(conf: dict, named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        server_settings("main", conf)
    assert named in str(caught.value)


def test_rows_are_json_ready_like_upstreams() -> None:
    tokyo = dt.timezone(dt.timedelta(hours=9))
    row = {
        "at": dt.datetime(2024, 1, 2, 3, 4, 5, 678000),
        "at_tokyo": dt.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=tokyo),
        "day": dt.date(2024, 1, 2),
        "amount": decimal.Decimal("12.50"),
        "ref": uuid.UUID("2a65a95e-1fa8-42b2-8ee5-e38f81ebfee2"),
        "n": 2**70,
        "tags": ["a"],
    }
    assert normalize_row(row, scalars=True) == {
        "at": "2024-01-02T03:04:05.678+0000",
        "at_tokyo": "2024-01-01T18:04:05.678+0000",
        "day": "2024-01-02",
        "amount": 12.5,
        "ref": "2a65a95e-1fa8-42b2-8ee5-e38f81ebfee2",
        "n": 2**70,
        "tags": ["a"],
    }
    # pgsqlc (upstream's PostgreSQL client) leaves Decimals and UUIDs alone
    plain = normalize_row(row)
    assert plain["amount"] == decimal.Decimal("12.50") and isinstance(
        plain["ref"], uuid.UUID
    )


@given(st.datetimes(timezones=st.sampled_from([None, dt.UTC])))
def test_a_datetime_is_its_utc_instant_to_the_millisecond(value: dt.datetime) -> None:
    text = json_ready(value, True)
    parsed = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
    expected = value.replace(tzinfo=value.tzinfo or dt.UTC)
    assert parsed == expected.replace(microsecond=expected.microsecond // 1000 * 1000)


def test_envoxy_works_without_the_driver_and_says_how_to_get_it() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["clickhouse_connect"] = None  # not installed
        from envoxy import chsqlc
        from envoxy.db.dispatcher import ClickHouseDispatcher
        from envoxy.clickhouse.client import Client
        from envoxy.clickhouse.connector import CONNECTOR
        from envoxy.exceptions import ConfigError
        assert ClickHouseDispatcher is chsqlc
        try:
            CONNECTOR.parse("main", {"host": "h"}, {})
        except ConfigError as exc:
            print("parse:", exc)
        try:
            Client({"main": {"host": "127.0.0.1"}}).query("main", "SELECT 1")
        except ConfigError as exc:
            print("query:", exc)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    hint = (
        "clickhouse_servers needs the clickhouse-connect driver: "
        "pip install 'envoxy[clickhouse]'"
    )
    assert done.stdout.splitlines() == [f"parse: {hint}", f"query: {hint}"]


def test_bad_calls_are_refused_before_anything_is_sent() -> None:
    """Refused by chsqlc itself, before the driver or the network: params that
    are not a mapping, an attempt to lift read-only, an unknown key."""
    from envoxy.clickhouse.client import Client
    from envoxy.exceptions import DatabaseException

    client = Client({"main": {"host": "127.0.0.1", "port": 1}})  # nothing listens
    with pytest.raises(DatabaseException, match="params must be a mapping"):
        client.query("main", "SELECT %(a)s", params=[1])  # type: ignore[arg-type]
    with pytest.raises(DatabaseException, match="cannot change readonly"):
        client.query("main", "SELECT 1", query_settings={"readonly": 0})
    with pytest.raises(DatabaseException, match="No configuration found"):
        client.query("elsewhere", "SELECT 1")
