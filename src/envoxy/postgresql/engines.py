"""One SQLAlchemy engine, so one connection pool, per ``psql_servers`` key:
``pgsqlc.query``/``transaction`` borrow its raw psycopg2 connections, ORM
sessions use it as it is, readiness asks it for ``SELECT 1``.

An entry is ``{"url": ...}``/``{"dsn": ...}`` (any SQLAlchemy URL; SQLite
too, for the ORM) or ``{host, port, db, user, passwd}`` (the URL is built with
proper escaping). The pool of a PostgreSQL entry holds at most ``max_conn``
connections (default 20; ``pool_size`` is the same setting under SQLAlchemy's
name, ``max_overflow`` adds more, default 0) and a caller waits at most
``conn_timeout`` seconds for one (``pool_timeout``; default 5). Connections
are checked before reuse (``pool_pre_ping``), recycled after
``pool_recycle`` seconds (1800), and opened with the bounds of
envoxy.postgresql.bounds (connect, statement and socket timeouts,
keepalives).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError

from envoxy.constants import MAX_CONN, TIMEOUT_CONN
from envoxy.db.helpers import with_default_driver
from envoxy.exceptions import ConfigError

__all__ = [
    "dispose_all",
    "engine",
    "engine_options",
    "forget_after_fork",
    "is_psycopg2",
    "server_url",
]

POOL_RECYCLE_S = 1800
_REQUIRED = ("host", "db", "user")

_engines: dict[str, tuple[dict[str, Any], Engine]] = {}
_lock = threading.Lock()


def server_url(key: str, conf: Mapping[str, Any]) -> URL:
    """The SQLAlchemy URL of one entry (``ConfigError`` naming the key)."""
    explicit = conf.get("url") or conf.get("dsn")
    if explicit:
        try:
            return with_default_driver(str(explicit))
        except ArgumentError:
            # never echo the value: a URL holds the password
            raise ConfigError(
                f"psql_servers.{key}: url is not a database URL"
            ) from None
    missing = [name for name in _REQUIRED if not conf.get(name)]
    if missing:
        raise ConfigError(
            f"psql_servers.{key} lacks {', '.join(missing)} (host, db and user "
            'are required, or give {"url": "postgresql://..."})'
        )
    try:
        return URL.create(
            "postgresql+psycopg2",
            username=conf.get("user"),
            password=conf.get("passwd") or None,
            host=conf.get("host"),
            port=int(conf.get("port", 5432)),
            database=conf.get("db"),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"psql_servers.{key}: {exc}") from None


def is_psycopg2(url: URL) -> bool:
    return url.get_backend_name() == "postgresql" and url.get_driver_name() in (
        "psycopg2",
        "psycopg2cffi",
    )


def _number(key: str, name: str, value: Any, kind: type, minimum: float) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = None
    if isinstance(value, bool) or number is None or number < minimum:
        raise ConfigError(
            f"psql_servers.{key}.{name}: expected a number of at least "
            f"{minimum:g}, got {value!r}"
        )
    return number


def engine_options(key: str, conf: Mapping[str, Any]) -> tuple[URL, dict[str, Any]]:
    """``(url, create_engine keywords)`` of one entry; ``ConfigError`` naming
    the key for a bad value (envoxyd checks every entry at boot with this)."""
    url = server_url(key, conf)
    if url.get_backend_name() == "sqlite":
        # SQLite keeps SQLAlchemy's own pool choice; only explicit settings
        options: dict[str, Any] = {
            name: _number(key, name, conf[name], int, 0)
            for name in ("pool_size", "max_overflow", "pool_timeout", "pool_recycle")
            if name in conf
        }
        return url, options
    size = conf.get("pool_size", conf.get("max_conn", MAX_CONN))
    wait = conf.get("pool_timeout", conf.get("conn_timeout", TIMEOUT_CONN))
    options = {
        "pool_pre_ping": True,
        "pool_size": _number(key, "max_conn", size, int, 1),
        "max_overflow": _number(
            key, "max_overflow", conf.get("max_overflow", 0), int, 0
        ),
        "pool_timeout": _number(key, "conn_timeout", wait, float, 0),
        "pool_recycle": _number(
            key, "pool_recycle", conf.get("pool_recycle", POOL_RECYCLE_S), int, -1
        ),
    }
    if is_psycopg2(url):
        from envoxy.postgresql.bounds import libpq_arguments

        options["connect_args"] = libpq_arguments(key, conf)
    return url, options


def engine(key: str, conf: Mapping[str, Any]) -> Engine:
    """The engine of ``key`` (built on first use; an entry that changed gets
    a new engine and the old one's idle connections are closed)."""
    wanted = dict(conf)
    found = _engines.get(key)
    if found is not None and found[0] == wanted:
        return found[1]
    with _lock:
        found = _engines.get(key)
        if found is not None and found[0] == wanted:
            return found[1]
        url, options = engine_options(key, conf)
        built = create_engine(url, **options)
        _engines[key] = (wanted, built)
    if found is not None:
        found[1].dispose()
    return built


def dispose_all() -> None:
    """Close every engine's idle connections (shutdown); the next use builds
    afresh."""
    with _lock:
        engines = [built for _, built in _engines.values()]
        _engines.clear()
    for built in engines:
        built.dispose()


def forget_after_fork() -> None:
    """In a forked child: the parent's pooled connections are not ours
    (SQLAlchemy's documented ``dispose(close=False)``)."""
    global _lock
    _lock = threading.Lock()
    for _, built in list(_engines.values()):
        built.dispose(close=False)
