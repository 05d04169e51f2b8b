"""Bounds on every PostgreSQL round trip, for ``pgsqlc`` and the ORM alike.

A ``psql_servers`` entry's connections get, from ``libpq_arguments``:

- ``timeout`` or ``connect_timeout`` (s, default 5): libpq's
  ``connect_timeout``, the whole connect;
- ``statement_timeout`` (ms, default 30000): the server cancels longer queries;
- TCP keepalives (``keepalives_idle`` 10 s, ``keepalives_interval`` 5 s,
  ``keepalives_count`` 3) and ``tcp_user_timeout`` (ms, default 10000): a peer
  that vanished (packets dropped, host gone) is noticed by the kernel;
- ``socket_timeout`` (s, default ``statement_timeout`` + 5 s): no single round
  trip (execute, fetch, commit, rollback, the pool's ping) waits longer on the
  client side. This is the one that holds when nothing else does: a server
  whose TCP stack answers while PostgreSQL never does (stopped, hung, or a
  proxy that stopped forwarding) is detected by no kernel timer and ignores
  its own ``statement_timeout``. Past it the connection's socket is shut down
  (envoxy.utils.deadlines), the blocked call returns at once, and the caller
  gets ``QueryTimeout``; the broken connection is dropped, never reused.

So a request touching a black-holed database fails with a typed error within
``socket_timeout`` (35 s by default), well before envoxyd's 90 s harakiri.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import psycopg2
import psycopg2.extensions

from envoxy.exceptions import ConfigError, DatabaseException
from envoxy.utils.deadlines import cut, deadlines

__all__ = [
    "BoundedConnection",
    "QueryTimeout",
    "bounded_connection_class",
    "libpq_arguments",
]

#: (key, default, minimum): what each bound may be set to
_BOUNDS: tuple[tuple[str, float, float], ...] = (
    ("timeout", 5, 1),
    ("statement_timeout", 30_000, 0),
    ("keepalives_idle", 10, 1),
    ("keepalives_interval", 5, 1),
    ("keepalives_count", 3, 1),
    ("tcp_user_timeout", 10_000, 0),
)

T = TypeVar("T")


class QueryTimeout(DatabaseException):
    """A PostgreSQL round trip went past ``socket_timeout``: the server did
    not answer (the connection was closed; retrying would wait as long)."""


def _number(key: str, name: str, value: Any, minimum: float) -> float:
    if isinstance(value, bool):
        value = "bool"
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"psql_servers.{key}.{name}: expected a number, got {value!r}"
        ) from None
    if number < minimum:
        raise ConfigError(
            f"psql_servers.{key}.{name}: must be at least {minimum:g}, got {value!r}"
        )
    return number


def libpq_arguments(key: str, conf: Mapping[str, Any]) -> dict[str, Any]:
    """psycopg2.connect keyword arguments bounding every wait of one server
    (``ConfigError`` naming the key for a bad value): connect, statement and
    socket timeouts, keepalives, the search path, and ``connection_factory``."""
    if "connect_timeout" in conf:  # the name every connector uses for it
        conf = {**conf, "timeout": conf["connect_timeout"]}
    values = {
        name: _number(key, name, conf.get(name, default), minimum)
        for name, default, minimum in _BOUNDS
    }
    statement_ms = int(values["statement_timeout"])
    socket_s = _number(
        key,
        "socket_timeout",
        conf.get("socket_timeout", statement_ms / 1000 + 5 if statement_ms else 35),
        0.1,
    )
    options = [f"-c statement_timeout={statement_ms}"]
    if conf.get("schema"):
        options.append(f"-c search_path={conf['schema']}")
    return {
        "connect_timeout": int(values["timeout"]),
        "keepalives": 1,
        "keepalives_idle": int(values["keepalives_idle"]),
        "keepalives_interval": int(values["keepalives_interval"]),
        "keepalives_count": int(values["keepalives_count"]),
        "tcp_user_timeout": int(values["tcp_user_timeout"]),
        "options": " ".join(options),
        "connection_factory": bounded_connection_class(socket_s),
    }


def _bounded(conn: Any, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``call(*args)``, its socket shut down if it waits past the bound."""
    if conn.closed:
        return call(*args, **kwargs)  # psycopg2 raises its own error
    fd = conn.fileno()
    deadline = deadlines.arm(conn.socket_timeout, lambda _: cut(fd))
    try:
        return call(*args, **kwargs)
    except psycopg2.Error as exc:
        if deadline.fired:
            raise QueryTimeout(
                f"PostgreSQL did not answer within {conn.socket_timeout:g} s "
                f"(socket_timeout of {conn.info.host}:{conn.info.port}); "
                "the connection was closed"
            ) from exc
        raise
    finally:
        if deadlines.cancel(deadline) and not conn.closed:
            conn.close()  # cut: never to be reused


class _BoundedCursorMixin:
    """Cursor methods that wait on the server, each bounded."""

    connection: Any
    name: Any

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        return _bounded(self.connection, super().execute, *args, **kwargs)  # type: ignore[misc]

    def executemany(self, *args: Any, **kwargs: Any) -> Any:
        return _bounded(self.connection, super().executemany, *args, **kwargs)  # type: ignore[misc]

    def callproc(self, *args: Any, **kwargs: Any) -> Any:
        return _bounded(self.connection, super().callproc, *args, **kwargs)  # type: ignore[misc]

    # A named (server-side) cursor's fetches are round trips too; a client-side
    # cursor's are not (PERF: no deadline for them).
    def fetchone(self) -> Any:
        if self.name is None:
            return super().fetchone()  # type: ignore[misc]
        return _bounded(self.connection, super().fetchone)  # type: ignore[misc]

    def fetchmany(self, *args: Any, **kwargs: Any) -> Any:
        if self.name is None:
            return super().fetchmany(*args, **kwargs)  # type: ignore[misc]
        return _bounded(self.connection, super().fetchmany, *args, **kwargs)  # type: ignore[misc]

    def fetchall(self) -> Any:
        if self.name is None:
            return super().fetchall()  # type: ignore[misc]
        return _bounded(self.connection, super().fetchall)  # type: ignore[misc]


_cursor_classes: dict[type, type] = {}


def _bounded_cursor(base: type) -> type:
    if issubclass(base, _BoundedCursorMixin):
        return base
    made = _cursor_classes.get(base)
    if made is None:
        made = type(f"Bounded{base.__name__}", (_BoundedCursorMixin, base), {})
        _cursor_classes[base] = made
    return made


class BoundedConnection(psycopg2.extensions.connection):
    """A psycopg2 connection whose every server round trip is bounded by
    ``socket_timeout`` seconds (set per server by ``bounded_connection_class``)."""

    socket_timeout: float = 35.0

    def cursor(
        self, name: Any = None, cursor_factory: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        factory = cursor_factory or self.cursor_factory or psycopg2.extensions.cursor
        return super().cursor(name, _bounded_cursor(factory), *args, **kwargs)

    def commit(self) -> None:
        _bounded(self, super().commit)

    def rollback(self) -> None:
        _bounded(self, super().rollback)


_connection_classes: dict[float, type] = {}


def bounded_connection_class(socket_timeout: float) -> type:
    """The ``BoundedConnection`` subclass for one bound (made once per value)."""
    made = _connection_classes.get(socket_timeout)
    if made is None:
        made = type(
            "BoundedConnection",
            (BoundedConnection,),
            {"socket_timeout": float(socket_timeout)},
        )
        _connection_classes[socket_timeout] = made
    return made
