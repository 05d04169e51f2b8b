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

import re
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any

import psycopg2
import psycopg2.extras
from sqlalchemy import exc as sa_exc

from envoxy.constants import DEFAULT_CHUNK_SIZE, DEFAULT_OFFSET_LIMIT
from envoxy.db.rows import normalize_row
from envoxy.exceptions import DatabaseException
from envoxy.postgresql import engines
from envoxy.utils.retry import RetryPolicy
from envoxy.utils.singleton import Singleton

__all__ = ["DEFAULT_MAX_ROWS", "Client", "normalize_row"]

DEFAULT_MAX_ROWS = 1_000_000
QUERY_RETRIES = 2
QUERY_BACKOFF_MS = 100
FETCH_BATCH = 2000


def _uses_paging(sql: str) -> bool:
    return "%(offset_limit)s" in sql


_STREAMABLE = re.compile(
    r"^(?:\s+|--[^\n]*\n|/\*.*?\*/|\()*(select|with|values|table)\b", re.I | re.S
)


def _streamable(sql: str) -> bool:
    """Only SELECT-like statements can run through a server-side cursor."""
    return _STREAMABLE.match(sql) is not None


def retry_policy(key: str, conf: Mapping[str, Any]) -> RetryPolicy:
    """``retries`` (2) and ``backoff_ms`` (100) of a connection lost or not
    made: the keys and meanings of every connector (envoxy.utils.retry)."""
    return RetryPolicy.from_conf(
        f"psql_servers.{key}", conf, QUERY_RETRIES, QUERY_BACKOFF_MS
    )


class _Server:
    """One ``psql_servers`` entry: its settings and its engine's pool (the same
    pool ORM sessions use: envoxy.postgresql.engines)."""

    def __init__(self, key: str, conf: Mapping[str, Any]) -> None:
        self.key = key
        self.conf = dict(conf)
        try:
            self.max_rows = int(conf.get("max_rows", DEFAULT_MAX_ROWS))
            self.retry = retry_policy(key, conf)
            self.engine = engines.engine(key, conf)
        except (TypeError, ValueError) as exc:  # ConfigError included
            raise DatabaseException(f"psql_servers.{key}: {exc}") from None
        if not engines.is_psycopg2(self.engine.url):
            raise DatabaseException(
                f"psql_servers.{key} is {self.engine.url.get_backend_name()}: "
                "pgsqlc runs PostgreSQL SQL through psycopg2; use the ORM "
                "(pgsqlc.sa_session) for other databases"
            )
        self.pool_wait = float(self.engine.pool.timeout())  # type: ignore[attr-defined]
        self.pool_size = int(self.engine.pool.size())  # type: ignore[attr-defined]

    def acquire(self) -> Any:
        """A pooled connection (``.dbapi_connection`` is psycopg2's);
        ``DatabaseException`` within the pool's bounded wait."""
        try:
            return self.engine.raw_connection()
        except sa_exc.TimeoutError:
            raise DatabaseException(
                f"Timeout waiting for a connection to server {self.key!r} "
                f"({self.pool_size} in use for {self.pool_wait:g}s)"
            ) from None
        except sa_exc.DBAPIError as exc:
            raise _Unreachable(self.key, exc.orig) from exc
        except psycopg2.Error as exc:  # a reconnect after a failed pre-ping
            raise _Unreachable(self.key, exc) from exc

    @staticmethod
    def release(lease: Any, discard: bool = False) -> None:
        """Give the connection back; a broken one is thrown away instead."""
        if discard:
            lease.invalidate()
        else:
            lease.close()


class _Unreachable(DatabaseException):
    """A connection could not be opened (retried by ``query``)."""

    def __init__(self, key: str, cause: BaseException | None) -> None:
        reason = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
        super().__init__(f"PostgreSQL server {key!r} is unreachable: {reason}")
        self.cause = cause


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
                    self._servers.pop(key)  # engines.engine replaces its pool
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
        """Close the idle connections of every engine (shutdown)."""
        with self._conf_lock:
            self._servers.clear()
        engines.dispose_all()

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
        def attempt() -> list[dict[str, Any]]:
            lease = server.acquire()
            broken = False
            try:
                return self._run(server, lease.dbapi_connection, sql, bound, True)
            except psycopg2.Error as exc:
                broken = is_connection_error(exc)
                if not broken:
                    raise _query_error(exc) from exc
                raise _Unreachable(server.key, exc) from exc
            finally:
                server.release(lease, discard=broken)

        try:
            return server.retry.run(attempt, retry_on=_Unreachable, where=server.key)
        except _Unreachable as exc:
            raise DatabaseException(
                f"PostgreSQL server {server.key!r} failed {server.retry.retries + 1} "
                f"times: {str(exc.cause).strip()}"
            ) from exc

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
        # opening a connection is safe to retry; the transaction itself is not
        lease = server.retry.run(
            server.acquire, retry_on=_Unreachable, where=server.key
        )
        conn = lease.dbapi_connection
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
            server.release(lease, discard=broken)

    def insert(
        self, db_table: str, data: Mapping[str, Any], returning: str | None = None
    ) -> Any:
        raise DatabaseException(
            "Direct insert() is not supported. Use the ORM (SQLAlchemy) for writes; "
            "fallback to query() only for read-only SQL."
        )


def is_connection_error(exc: BaseException) -> bool:
    """True when ``exc`` means the connection itself is gone (not a SQL error)."""
    if isinstance(exc, psycopg2.InterfaceError):
        return True
    if isinstance(exc, psycopg2.OperationalError):
        return getattr(exc, "pgcode", None) is None  # server-side errors carry a code
    return False


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
