"""The raw PostgreSQL client behind ``pgsqlc``: parameterized, read-only queries.

``query`` runs in a ``READ ONLY`` transaction through a server-side cursor, so
a write through it fails loudly and a huge result is refused at ``max_rows``
without being loaded. Inside ``transaction()`` it runs on that transaction's
connection and may write. Paging with ``%(chunk_size)s``/``%(offset_limit)s``
stops at the first short page and at ``max_rows``: it always terminates.
Connection failures are retried a bounded number of times (queries here are
read-only, so a retry cannot apply a change twice).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any

import psycopg2
import psycopg2.extras

from envoxy.constants import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_OFFSET_LIMIT,
    MAX_CONN,
    TIMEOUT_CONN,
)
from envoxy.exceptions import DatabaseException
from envoxy.postgresql.bounds import libpq_arguments
from envoxy.postgresql.pool import ConnectionPool, is_connection_error
from envoxy.utils.encoders import format_api_datetime
from envoxy.utils.singleton import Singleton

__all__ = ["DEFAULT_MAX_ROWS", "Client", "normalize_row"]

DEFAULT_MAX_ROWS = 1_000_000
QUERY_ATTEMPTS = 3
FETCH_BATCH = 2000
_REQUIRED = ("host", "db", "user")


def normalize_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Row values JSON-ready as upstream 0.7.1: datetimes as the API string
    (naive taken as UTC), dates as ``YYYY-MM-DD``."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dt.datetime):
            value = format_api_datetime(value)
        elif isinstance(value, dt.date):
            value = value.isoformat()
        out[key] = value
    return out


def _uses_paging(sql: str) -> bool:
    return "%(offset_limit)s" in sql


_STREAMABLE = re.compile(
    r"^(?:\s+|--[^\n]*\n|/\*.*?\*/|\()*(select|with|values|table)\b", re.I | re.S
)


def _streamable(sql: str) -> bool:
    """Only SELECT-like statements can run through a server-side cursor."""
    return _STREAMABLE.match(sql) is not None


class _Server:
    """One ``psql_servers`` entry: its settings and its pool."""

    def __init__(self, key: str, conf: Mapping[str, Any]) -> None:
        missing = [name for name in _REQUIRED if not conf.get(name)]
        if missing:
            raise DatabaseException(
                f"psql_servers.{key} lacks {', '.join(missing)} "
                "(host, db and user are required)"
            )
        self.key = key
        self.conf = dict(conf)
        try:
            self.max_rows = int(conf.get("max_rows", DEFAULT_MAX_ROWS))
            max_conn = int(conf.get("max_conn", MAX_CONN))
            acquire_timeout = float(conf.get("conn_timeout", TIMEOUT_CONN))
        except (TypeError, ValueError) as exc:
            raise DatabaseException(f"psql_servers.{key}: {exc}") from None
        self.bounds = libpq_arguments(key, conf)
        self.pool = ConnectionPool(key, self._connect, max_conn, acquire_timeout)

    def _connect(self) -> Any:
        conf = self.conf
        conn = psycopg2.connect(
            host=conf["host"],
            port=int(conf.get("port", 5432)),
            dbname=conf["db"],
            user=conf["user"],
            password=conf.get("passwd") or None,
            application_name="envoxy",
            **self.bounds,  # every wait bounded (envoxy.postgresql.bounds)
        )
        conn.autocommit = False
        return conn


class Client(Singleton):
    """Pools per server key; ``query``, ``transaction`` as in upstream envoxy."""

    def __init__(self, server_conf: Mapping[str, Any] | None = None) -> None:
        self._servers: dict[str, _Server] = {}
        self._conf_lock = threading.Lock()
        self._local = threading.local()
        if server_conf is None:
            from envoxy.utils.config import Config

            server_conf = Config.get("psql_servers") or {}
        self.reload_config(server_conf)

    # -- configuration --------------------------------------------------------------
    def reload_config(self, server_conf: Mapping[str, Any]) -> None:
        """Add, replace or remove servers; pools of replaced servers are closed."""
        entries = {k: v for k, v in server_conf.items() if isinstance(v, Mapping)}
        with self._conf_lock:
            for key in list(self._servers):
                if key not in entries or dict(entries[key]) != self._servers[key].conf:
                    self._servers.pop(key).pool.close()
            for key, conf in entries.items():
                if key not in self._servers:
                    self._servers[key] = _Server(key, conf)

    def _server(self, server_key: str | None) -> _Server:
        server = self._servers.get(server_key or "")
        if server is None:
            raise DatabaseException(
                f"No configuration found for server key: {server_key}"
            )
        return server

    def close(self) -> None:
        with self._conf_lock:
            for server in self._servers.values():
                server.pool.close()

    # -- queries --------------------------------------------------------------------
    def query(
        self,
        server_key: str | None,
        sql: str | None,
        params: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Rows of ``sql`` as dicts; the driver binds ``params``, never formatted."""
        if not sql or not str(sql).strip():
            raise DatabaseException("Sql cannot be empty")
        if params is not None and not isinstance(params, Mapping):
            raise DatabaseException(
                "params must be a mapping of names to values "
                "(used as %(name)s in the SQL)"
            )
        server = self._server(server_key)
        bound = dict(params or {})
        bound.setdefault("chunk_size", DEFAULT_CHUNK_SIZE)
        bound.setdefault("offset_limit", DEFAULT_OFFSET_LIMIT)
        current = getattr(self._local, "transaction", None)
        if current is not None and current[0] == server.key:
            return self._run(server, current[1], str(sql), bound, read_only=False)
        return self._with_retries(server, str(sql), bound)

    def _with_retries(
        self, server: _Server, sql: str, bound: dict[str, Any]
    ) -> list[dict[str, Any]]:
        last: BaseException | None = None
        for attempt in range(QUERY_ATTEMPTS):
            conn = server.pool.acquire()
            broken = False
            try:
                return self._run(server, conn, sql, bound, read_only=True)
            except psycopg2.Error as exc:
                broken = is_connection_error(exc)
                if not broken:
                    raise _query_error(exc) from exc
                last = exc
            finally:
                server.pool.release(conn, discard=broken)
            time.sleep(0.1 * (2**attempt))
        raise DatabaseException(
            f"PostgreSQL server {server.key!r} closed the connection "
            f"{QUERY_ATTEMPTS} times: {str(last).strip()}"
        ) from last

    def _run(
        self,
        server: _Server,
        conn: Any,
        sql: str,
        bound: dict[str, Any],
        read_only: bool,
    ) -> list[dict[str, Any]]:
        if read_only:
            conn.readonly = True
        try:
            rows = self._pages(server, conn, sql, bound)
            if read_only:
                conn.rollback()  # nothing to keep: end the read-only transaction
            return rows
        except BaseException:
            if read_only and not conn.closed:
                # A broken connection cannot roll back; the pool discards it.
                with suppress(psycopg2.Error):
                    conn.rollback()
            raise
        finally:
            if read_only and not conn.closed:
                conn.readonly = False

    def _pages(
        self, server: _Server, conn: Any, sql: str, bound: dict[str, Any]
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        chunk = int(bound["chunk_size"])
        if chunk <= 0:
            raise DatabaseException("chunk_size must be a positive number of rows")
        while True:
            page = self._fetch(server, conn, sql, bound, len(rows))
            rows.extend(page)
            if not _uses_paging(sql) or len(page) < chunk:
                return rows
            bound["offset_limit"] = int(bound["offset_limit"]) + chunk

    def _fetch(
        self, server: _Server, conn: Any, sql: str, bound: dict[str, Any], have: int
    ) -> list[dict[str, Any]]:
        # A named (server-side) cursor streams rows, so max_rows is enforced
        # before a huge result is ever held in memory.
        streamed = _streamable(sql)
        name = f"envoxy_{uuid.uuid4().hex}" if streamed else None
        cursor = conn.cursor(name=name, cursor_factory=psycopg2.extras.RealDictCursor)
        try:
            if streamed:
                cursor.itersize = FETCH_BATCH
            try:
                cursor.execute(sql, bound)
            except (KeyError, IndexError, ValueError, TypeError) as exc:
                raise DatabaseException(
                    "query parameters do not fit the SQL "
                    f"({type(exc).__name__}: {exc}); "
                    "use %(name)s for each parameter and %% for a literal %"
                ) from exc
            if not streamed and cursor.description is None:
                return []  # a statement without rows (DDL, DML inside transaction())
            out: list[dict[str, Any]] = []
            while True:
                batch = cursor.fetchmany(FETCH_BATCH)
                if not batch:
                    return out
                if have + len(out) + len(batch) > server.max_rows:
                    raise DatabaseException(
                        f"query returned more than max_rows={server.max_rows} rows "
                        f"on server {server.key!r}: page it with LIMIT %(chunk_size)s "
                        "OFFSET %(offset_limit)s or raise psql_servers.<key>.max_rows"
                    )
                out.extend(normalize_row(row) for row in batch)
        finally:
            if not conn.closed:
                # A failed transaction's cursor may refuse to close; rollback follows.
                with suppress(psycopg2.Error):
                    cursor.close()

    # -- writes -----------------------------------------------------------------------
    @contextmanager
    def transaction(self, server_key: str | None) -> Iterator[Client]:
        """A read-write transaction; ``query`` calls inside it use it. Commits on
        success, rolls back on error. Not nestable."""
        server = self._server(server_key)
        if getattr(self._local, "transaction", None) is not None:
            raise DatabaseException("Nested transactions are not supported")
        conn = server.pool.acquire()
        broken = False
        self._local.transaction = (server.key, conn)
        try:
            yield self
            conn.commit()
        except BaseException as exc:
            broken = isinstance(exc, psycopg2.Error) and is_connection_error(exc)
            if not conn.closed:
                try:
                    conn.rollback()
                except psycopg2.Error:
                    broken = True
            if isinstance(exc, psycopg2.Error):
                raise _query_error(exc) from exc
            raise
        finally:
            self._local.transaction = None
            server.pool.release(conn, discard=broken)

    def insert(
        self, db_table: str, data: Mapping[str, Any], returning: str | None = None
    ) -> Any:
        raise DatabaseException(
            "Direct insert() is not supported. Use the ORM (SQLAlchemy) for writes; "
            "fallback to query() only for read-only SQL."
        )


def _query_error(exc: psycopg2.Error) -> DatabaseException:
    message = (
        str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    )
    if getattr(exc, "pgcode", None) == "25006":  # read_only_sql_transaction
        return DatabaseException(
            "pgsqlc.query runs read-only; use pgsqlc.transaction() or the ORM "
            f"to write ({message})"
        )
    return DatabaseException(f"query failed: {message}")
