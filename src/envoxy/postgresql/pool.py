"""A small thread-safe psycopg2 connection pool with a bounded acquire time.

At most ``max_conn`` connections exist at once; a caller waits at most
``acquire_timeout`` seconds for one. Connections are created lazily (with a
bounded number of connect attempts), checked before reuse, and thrown away
when they broke, so a PostgreSQL restart costs failed connections, never a
stuck pool.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import psycopg2
import psycopg2.extensions

from envoxy.exceptions import DatabaseException

__all__ = ["ConnectionPool", "is_connection_error"]

Connection = Any  # psycopg2.extensions.connection

_HEALTHY = (
    psycopg2.extensions.TRANSACTION_STATUS_IDLE,
    psycopg2.extensions.TRANSACTION_STATUS_INTRANS,
    psycopg2.extensions.TRANSACTION_STATUS_INERROR,
)


def is_connection_error(exc: BaseException) -> bool:
    """True when ``exc`` means the connection itself is gone (not a SQL error)."""
    if isinstance(exc, psycopg2.InterfaceError):
        return True
    if isinstance(exc, psycopg2.OperationalError):
        return getattr(exc, "pgcode", None) is None  # server-side errors carry a code
    return False


_pools: weakref.WeakSet[ConnectionPool] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for pool in list(_pools):
        pool.forget_after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


class ConnectionPool:
    """Connections for one server key (a forked child starts with none)."""

    def __init__(
        self,
        name: str,
        connect: Callable[[], Connection],
        max_conn: int = 20,
        acquire_timeout: float = 5.0,
        connect_attempts: int = 3,
        backoff: float = 0.2,
    ) -> None:
        self.name = name
        self._connect = connect
        self._slots = threading.BoundedSemaphore(max(1, max_conn))
        self._idle: list[Connection] = []
        self._lock = threading.Lock()
        self.max_conn = max(1, max_conn)
        self.acquire_timeout = acquire_timeout
        self.connect_attempts = max(1, connect_attempts)
        self.backoff = backoff
        self._closed = False
        _pools.add(self)

    def forget_after_fork(self) -> None:
        """In a forked child: the parent's connections are not ours to use or
        close (their sockets are shared); start with an empty pool."""
        self._idle = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(self.max_conn)

    def acquire(self) -> Connection:
        """A healthy connection, or ``DatabaseException`` within the bounded time."""
        if not self._slots.acquire(timeout=self.acquire_timeout):
            raise DatabaseException(
                f"Timeout waiting for a connection to server {self.name!r} "
                f"({self.max_conn} in use for {self.acquire_timeout:g}s)"
            )
        try:
            return self._idle_connection() or self._new_connection()
        except BaseException:
            self._slots.release()
            raise

    def release(self, conn: Connection, discard: bool = False) -> None:
        """Return ``conn``; a broken or discarded one is closed instead."""
        try:
            if discard or self._closed or not self._reusable(conn):
                _close(conn)
                return
            with self._lock:
                self._idle.append(conn)
        finally:
            self._slots.release()

    def close(self) -> None:
        """Close idle connections; connections in use close when released."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            _close(conn)

    def _idle_connection(self) -> Connection | None:
        while True:
            with self._lock:
                if not self._idle:
                    return None
                conn = self._idle.pop()
            if self._reusable(conn):
                return conn
            _close(conn)

    @staticmethod
    def _reusable(conn: Connection) -> bool:
        if conn.closed:
            return False
        status = conn.get_transaction_status()
        if status == psycopg2.extensions.TRANSACTION_STATUS_IDLE:
            return True
        if status in _HEALTHY:
            try:
                conn.rollback()
            except psycopg2.Error:
                return False
            return True
        return False

    def _new_connection(self) -> Connection:
        last: Exception | None = None
        for attempt in range(self.connect_attempts):
            try:
                return self._connect()
            except psycopg2.OperationalError as exc:
                last = exc
                if attempt + 1 < self.connect_attempts:
                    time.sleep(self.backoff * (2**attempt))
        reason = str(last).strip().splitlines()[0] if last else "unknown error"
        raise DatabaseException(
            f"PostgreSQL server {self.name!r} is unreachable after "
            f"{self.connect_attempts} attempts: {reason}"
        ) from last


def _close(conn: Connection) -> None:
    try:
        conn.close()
    except psycopg2.Error:
        return
