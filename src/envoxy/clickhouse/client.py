"""The ClickHouse client behind ``chsqlc``: read-only, parameterized queries.

Every query runs with ClickHouse's own ``readonly=2`` (reads and settings
only: a write is refused by the server), ``max_execution_time`` (30 s unless
the entry or the call says otherwise) and ``max_result_rows`` with
``result_overflow_mode='throw'`` (``max_rows``, 1,000,000: a huge result is an
error, not a process out of memory). Values are bound by clickhouse-connect
(``%(name)s`` or ``{name:Type}``), never formatted here.

Each thread has its own clickhouse-connect client per server (as upstream:
a client carries a session, which ClickHouse does not share between
concurrent queries), each with its own connection pool so a forked worker
never reuses its parent's sockets. A refusal by the server (bad SQL, the
read-only guard, a timeout it enforced) is raised at once as
``ClickHouseQueryError``; a connection lost or not made is retried on the
entry's ``retries``/``backoff_ms`` (envoxy.utils.retry) with a new client,
then raised as ``DatabaseException``. The queries are read-only, so a retry
cannot apply anything twice.

clickhouse-connect is the optional extra ``envoxy[clickhouse]``; it is
imported on first use, so ``import envoxy`` never needs it.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from urllib3.exceptions import HTTPError

from envoxy.db.rows import json_ready
from envoxy.exceptions import ConfigError, DatabaseException
from envoxy.utils.retry import Retryable, RetryPolicy
from envoxy.utils.singleton import Singleton

__all__ = [
    "DEFAULT_MAX_EXECUTION_TIME",
    "DEFAULT_MAX_ROWS",
    "ClickHouseQueryError",
    "Client",
    "ServerSettings",
    "driver",
    "server_settings",
]

SECTION = "clickhouse_servers"
DEFAULT_MAX_EXECUTION_TIME = 30
DEFAULT_MAX_ROWS = 1_000_000
DEFAULT_CONNECT_TIMEOUT = 5
RETRIES = 2  # three attempts, as upstream
BACKOFF_MS = 1000
EXTRA_HINT = "pip install 'envoxy[clickhouse]'"

#: every key an entry may have; anything else is a boot error, not ignored
KEYS = frozenset(
    {
        "host",
        "port",
        "db",
        "username",
        "passwd",
        "secure",
        "compress",
        "max_threads",
        "max_execution_time",
        "query_timeout",
        "connect_timeout",
        "max_rows",
        "retries",
        "backoff_ms",
        "deadline_ms",
    }
)


def driver() -> Any:
    """The clickhouse_connect module, or ``ConfigError`` saying how to get it."""
    try:
        import clickhouse_connect
    except ImportError:
        raise ConfigError(
            f"{SECTION} needs the clickhouse-connect driver: {EXTRA_HINT}"
        ) from None
    return clickhouse_connect


def _flag(where: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ConfigError(f"{where}: expected true or false, got {value!r}")


def _number(where: str, value: Any, low: float, kind: type = int) -> Any:
    try:
        number = kind(value)  # upstream configs carry numbers as strings too
    except (TypeError, ValueError):
        number = None
    if isinstance(value, bool) or number is None or number < low:
        raise ConfigError(
            f"{where}: expected a number of at least {low:g}, got {value!r}"
        )
    return number


@dataclass(frozen=True)
class ServerSettings:
    """One ``clickhouse_servers`` entry, checked (upstream's keys and defaults,
    plus the limits every connector has)."""

    key: str
    host: str = "localhost"
    port: int = 8123
    database: str = "default"
    username: str = "default"
    password: str = field(default="", repr=False)
    secure: bool = False
    compress: bool = True
    max_threads: int | None = None
    max_execution_time: int = DEFAULT_MAX_EXECUTION_TIME
    query_timeout: float = DEFAULT_MAX_EXECUTION_TIME + 10
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    max_rows: int = DEFAULT_MAX_ROWS
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(RETRIES, BACKOFF_MS))

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def client_options(self) -> dict[str, Any]:
        """``clickhouse_connect.get_client`` keywords (the pool is added per client)."""
        settings: dict[str, Any] = {"readonly": 2}
        if self.max_threads is not None:
            settings["max_threads"] = self.max_threads
        return {
            "host": self.host,
            "port": self.port,
            "username": self.username,
            "password": self.password,
            "database": self.database,
            "secure": self.secure,
            "compress": self.compress,
            "query_limit": 0,
            "connect_timeout": self.connect_timeout,
            "send_receive_timeout": self.query_timeout,
            "settings": settings,
        }

    def query_settings(self, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
        """Each query's settings: the limits, then the caller's ``query_settings``."""
        settings: dict[str, Any] = {
            "max_execution_time": self.max_execution_time,
            "max_result_rows": self.max_rows,
            "result_overflow_mode": "throw",
        }
        settings.update(overrides or {})
        return settings


def _given(conf: Mapping[str, Any], name: str, default: Any) -> Any:
    """The entry's value, or ``default`` when absent or empty (upstream
    templates leave unused keys as ``""``)."""
    value = conf.get(name)
    return default if value is None or value == "" else value


def server_settings(key: str, conf: Mapping[str, Any]) -> ServerSettings:
    """``ServerSettings`` of one entry; ``ConfigError`` naming the key for an
    unknown key or a bad value (envoxyd's preflight calls this at boot)."""
    where = f"{SECTION}.{key}"
    unknown = sorted(set(conf) - KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)} "
            f"(known: {', '.join(sorted(KEYS))})"
        )
    max_execution_time = _number(
        f"{where}.max_execution_time",
        conf.get("max_execution_time", DEFAULT_MAX_EXECUTION_TIME),
        1,
    )
    max_threads = conf.get("max_threads")
    return ServerSettings(
        key=key,
        host=str(conf.get("host") or "localhost"),
        port=_number(f"{where}.port", _given(conf, "port", 8123), 1),
        database=str(conf.get("db") or "default"),
        username=str(conf.get("username") or "default"),
        password=str(conf.get("passwd") or ""),
        secure=_flag(f"{where}.secure", conf.get("secure", False)),
        compress=_flag(f"{where}.compress", conf.get("compress", True)),
        max_threads=None
        if max_threads is None
        else _number(f"{where}.max_threads", max_threads, 1),
        max_execution_time=max_execution_time,
        query_timeout=_number(
            f"{where}.query_timeout",
            conf.get("query_timeout", max_execution_time + 10),
            0.001,
            float,
        ),
        connect_timeout=_number(
            f"{where}.connect_timeout",
            conf.get("connect_timeout", DEFAULT_CONNECT_TIMEOUT),
            0.001,
            float,
        ),
        max_rows=_number(
            f"{where}.max_rows", conf.get("max_rows", DEFAULT_MAX_ROWS), 1
        ),
        retry=RetryPolicy.from_conf(where, conf, RETRIES, BACKOFF_MS),
    )


@dataclass(eq=False)
class Connection:
    """A clickhouse-connect client and the connection pool only it uses."""

    client: Any
    pool: Any

    def close(self) -> None:
        """Close the client, then its pool's sockets (the driver leaves a
        pool it was given open)."""
        try:
            self.client.close()
            self.pool.clear()
        except Exception as exc:  # closing a broken client: nothing more to save
            from envoxy.utils.logs import Log

            Log.debug(f"[CH] closing a client failed: {type(exc).__name__}: {exc}")


def connect(server: ServerSettings, **overrides: Any) -> Connection:
    """A new client with a pool of its own (creating one asks the server for
    its version: it fails here if the server is away)."""
    clickhouse_connect = driver()
    from clickhouse_connect.driver.httputil import get_pool_manager

    options = server.client_options()
    options.update(overrides)
    pool = get_pool_manager(maxsize=1, num_pools=1)
    try:
        client = clickhouse_connect.get_client(**options, pool_mgr=pool)
    except BaseException:
        pool.clear()
        raise
    return Connection(client, pool)


class ClickHouseQueryError(DatabaseException):
    """The server refused a query (bad SQL, the read-only guard, a limit it
    enforced); ``code`` is ClickHouse's error code when it sent one. Also a
    clickhouse-connect ``DatabaseError``, which upstream let through, so
    services catching either keep working."""

    code: int | None = None


def _query_error_class() -> type[ClickHouseQueryError]:
    """``ClickHouseQueryError`` joined with the driver's ``DatabaseError`` (built
    once the driver is imported; envoxy itself does not need it)."""
    global _QUERY_ERROR
    if _QUERY_ERROR is None:
        from clickhouse_connect.driver.exceptions import DatabaseError

        _QUERY_ERROR = type(
            "ClickHouseQueryError",
            (ClickHouseQueryError, DatabaseError),
            {"__module__": __name__, "__doc__": ClickHouseQueryError.__doc__},
        )
    return _QUERY_ERROR


_QUERY_ERROR: type[ClickHouseQueryError] | None = None


def refused(key: str, error: BaseException) -> ClickHouseQueryError:
    """The error a service sees for a query the server refused: the server's
    own words (``Code: 62. DB::Exception: ...``), prefixed with the key."""
    message = str(error).split(" (for url ", 1)[0]
    message = message.split("server response: ", 1)[-1].strip()
    raised = _query_error_class()(f"[CH:{key}] {message}")
    raised.code = getattr(error, "code", None) or _code_in(message)
    return raised


def _root_cause(error: BaseException) -> str:
    """The innermost reason of a connection failure ("Connection refused"),
    not the driver's and urllib3's layers of wrapping around it."""
    seen = 0
    while error.__cause__ is not None and seen < 10:
        error, seen = error.__cause__, seen + 1
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error).split(" (for url ", 1)[0].strip() or type(error).__name__


def lost_connection(error: BaseException) -> bool:
    """Whether ``error`` means the server was not reached or the connection
    broke (worth another attempt on a new client) rather than a refusal: the
    driver reports those as ``OperationalError`` without a ClickHouse code."""
    from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

    if isinstance(error, OperationalError):
        return getattr(error, "code", None) is None
    return not isinstance(error, DatabaseError)


def _code_in(message: str) -> int | None:
    marker = "code: "
    at = message.lower().find(marker)
    if at < 0:
        return None
    digits = "".join(
        c for c in message[at + len(marker) : at + len(marker) + 6] if c.isdigit()
    )
    return int(digits) if digits else None


class _Threads:
    """Each thread's connections, and all of them, so shutdown closes every
    thread's (a ``threading.local`` alone would leave other threads' open)."""

    def __init__(self) -> None:
        self.local = threading.local()
        self.lock = threading.Lock()
        self.open: weakref.WeakSet[Connection] = weakref.WeakSet()

    def get(self, server: ServerSettings) -> Connection | None:
        """This thread's connection to ``server`` as configured now."""
        mine: dict[str, tuple[ServerSettings, Connection]] = getattr(
            self.local, "connections", {}
        )
        found = mine.get(server.key)
        return found[1] if found is not None and found[0] == server else None

    def get_or_connect(self, server: ServerSettings) -> Connection:
        found = self.get(server)
        if found is None:
            found = connect(server)
            self.put(server, found)
        return found

    def put(self, server: ServerSettings, connection: Connection) -> None:
        if not hasattr(self.local, "connections"):
            self.local.connections = {}
        old = self.local.connections.get(server.key)
        self.local.connections[server.key] = (server, connection)
        with self.lock:
            self.open.add(connection)
        if old is not None:
            self.discard(old[1])

    def drop(self, key: str) -> None:
        """Close and forget this thread's connection of ``key`` (broken)."""
        found = getattr(self.local, "connections", {}).pop(key, None)
        if found is not None:
            self.discard(found[1])

    def discard(self, connection: Connection) -> None:
        with self.lock:
            self.open.discard(connection)
        connection.close()

    def close_all(self) -> None:
        with self.lock:
            connections = list(self.open)
            self.open = weakref.WeakSet()
        for connection in connections:
            connection.close()
        self.local = threading.local()

    def forget(self) -> None:
        """In a forked child: drop the parent's connections without touching
        their sockets (they belong to the parent)."""
        self.lock = threading.Lock()
        self.open = weakref.WeakSet()
        self.local = threading.local()


class Client(Singleton):
    """ClickHouse servers by key; ``query`` as upstream envoxy 0.7.1's."""

    def __init__(self, server_conf: Mapping[str, Any] | None = None) -> None:
        self._servers: dict[str, ServerSettings] = {}
        self._threads = _Threads()
        self._conf_lock = threading.Lock()
        if server_conf is None:
            from envoxy.utils.config import Config

            server_conf = Config.get(SECTION) or {}
        self.reload_config(server_conf)

    def reload_config(self, server_conf: Mapping[str, Any]) -> None:
        """Add, replace or remove servers (a changed entry gets new clients
        in every thread on their next query)."""
        checked = {
            key: server_settings(key, conf)
            for key, conf in server_conf.items()
            if isinstance(conf, Mapping)
        }
        with self._conf_lock:
            self._servers = checked

    def server(self, server_key: str) -> ServerSettings:
        found = self._servers.get(server_key)
        if found is None:
            raise DatabaseException(
                f"[CH] No configuration found for server key: '{server_key}'"
            )
        return found

    def query(
        self,
        server_key: str,
        sql: str,
        params: Mapping[str, Any] | None = None,
        query_settings: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Rows of ``sql`` as dicts with JSON-ready values (datetimes as the
        API string in UTC, dates ISO, Decimals as floats, UUIDs as strings)."""
        if not sql or not str(sql).strip():
            raise DatabaseException("[CH] SQL query cannot be empty")
        if params is not None and not isinstance(params, Mapping):
            raise DatabaseException(
                "[CH] params must be a mapping of names to values "
                "(used as %(name)s or {name:Type} in the SQL)"
            )
        if query_settings and "readonly" in query_settings:
            raise DatabaseException(
                "[CH] query_settings cannot change readonly: chsqlc is read-only"
            )
        server = self.server(server_key)
        driver()  # the extra's hint, not an ImportError from inside a retry
        settings = server.query_settings(query_settings)
        attempts = server.retry.retries + 1

        def attempt() -> Any:
            return self._run(server, str(sql), params, settings)

        try:
            result = server.retry.run(
                attempt, retry_on=Retryable, where=f"[CH:{server.key}]"
            )
        except Retryable as exc:
            raise DatabaseException(
                f"[CH:{server.key}] Query failed after {attempts} attempts: {exc}"
            ) from None
        columns = result.column_names
        return [
            {
                name: json_ready(value, True)
                for name, value in zip(columns, row, strict=True)
            }
            for row in result.result_rows
        ]

    def _run(
        self,
        server: ServerSettings,
        sql: str,
        params: Mapping[str, Any] | None,
        settings: dict[str, Any],
    ) -> Any:
        from clickhouse_connect.driver.exceptions import DatabaseError

        try:
            connection = self._threads.get_or_connect(server)
            return connection.client.query(sql, parameters=params, settings=settings)
        except (DatabaseError, OSError, HTTPError) as exc:
            if not lost_connection(exc):
                raise refused(server.key, exc) from None
            self._threads.drop(server.key)  # the next attempt builds a new client
            raise Retryable(f"{_root_cause(exc)} ({server.address})") from exc

    def client(self, server_key: str) -> Any:
        """This thread's clickhouse-connect client of ``server_key`` (built if
        needed), for what ``query`` does not cover."""
        return self._threads.get_or_connect(self.server(server_key)).client

    def close(self) -> None:
        """Close every thread's connections (shutdown)."""
        self._threads.close_all()

    def forget_after_fork(self) -> None:
        self._threads.forget()
