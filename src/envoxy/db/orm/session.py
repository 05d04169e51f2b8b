"""Session helpers keyed by ``psql_servers`` entries of envoxy.json.

A server entry is either ``{"url": "..."}``/``{"dsn": "..."}`` (any SQLAlchemy
URL, SQLite included) or ``{host, port, db, user, passwd}`` for PostgreSQL (the
URL is built with proper escaping). ``"default": "<key>"`` names the default
server; otherwise the first one is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from envoxy.db.helpers import with_default_driver
from envoxy.db.orm.manager import EnvoxySessionManager
from envoxy.exceptions import DatabaseException
from envoxy.utils.config import Config

__all__ = [
    "dispose_all",
    "dispose_manager",
    "get_default_server_key",
    "get_manager",
    "server_url",
    "session_scope",
    "transactional",
    "validate_server_key",
]

F = TypeVar("F", bound=Callable[..., Any])

_ENGINE_KEYS = ("pool_size", "max_overflow", "pool_timeout", "pool_recycle")
_managers: dict[str, EnvoxySessionManager] = {}
_lock = threading.Lock()


def _servers() -> dict[str, Any]:
    servers = Config.get("psql_servers")
    if not servers:
        raise DatabaseException("No psql_servers configuration found")
    return servers


def get_default_server_key() -> str:
    """``psql_servers.default`` when it names a server, else the first server."""
    servers = _servers()
    default = servers.get("default")
    if isinstance(default, str) and isinstance(servers.get(default), dict):
        return default
    for key, value in servers.items():
        if isinstance(value, dict):
            return key
    raise DatabaseException("No psql_servers configured")


def validate_server_key(server_key: str | None) -> str:
    key = server_key or get_default_server_key()
    if not isinstance(_servers().get(key), dict):
        raise DatabaseException(f"No psql server config for server_key: {key}")
    return key


def server_url(conf: dict[str, Any]) -> str | URL:
    """The SQLAlchemy URL of one server entry."""
    explicit = conf.get("url") or conf.get("dsn")
    if explicit:
        try:
            return with_default_driver(str(explicit))
        except ArgumentError:
            raise DatabaseException(
                "Invalid psql server url (not a database URL)"
            ) from None
    try:
        return URL.create(
            "postgresql+psycopg2",
            username=conf.get("user"),
            password=conf.get("passwd"),
            host=conf.get("host", "127.0.0.1"),
            port=int(conf.get("port", 5432)),
            database=conf.get("db"),
        )
    except (TypeError, ValueError) as exc:
        raise DatabaseException(f"Invalid psql server config: {exc}") from None


def _uses_psycopg2(url: str | URL) -> bool:
    parsed = make_url(url)
    return parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in (
        "psycopg2",
        "psycopg2cffi",
    )


def get_manager(server_key: str | None = None) -> EnvoxySessionManager:
    """The cached session manager of ``server_key`` (None: the default server)."""
    key = validate_server_key(server_key)
    manager = _managers.get(key)
    if manager is not None:
        return manager
    with _lock:
        manager = _managers.get(key)
        if manager is None:
            conf = _servers()[key]
            engine_kwargs: dict[str, Any] = {
                k: int(conf[k]) for k in _ENGINE_KEYS if k in conf
            }
            url = server_url(conf)
            if _uses_psycopg2(url):
                from envoxy.postgresql.bounds import libpq_arguments

                # the same bounds as pgsqlc: connect, statement, socket, keepalives
                engine_kwargs["connect_args"] = libpq_arguments(key, conf)
            manager = EnvoxySessionManager(url=url, engine_kwargs=engine_kwargs)  # type: ignore[arg-type]
            _managers[key] = manager
    return manager


def dispose_manager(server_key: str) -> None:
    with _lock:
        manager = _managers.pop(server_key, None)
    if manager is not None:
        manager.dispose()


def dispose_all() -> None:
    with _lock:
        managers = list(_managers.values())
        _managers.clear()
    for manager in managers:
        manager.dispose()


@contextmanager
def session_scope(server_key: str | None = None) -> Iterator[Session]:
    """A session on ``server_key`` (default server if None): commit, or roll back."""
    with get_manager(server_key).session_scope() as session:
        yield session


def transactional(server_key: str | None = None) -> Callable[[F], F]:
    """Decorator injecting ``session=``; the server is resolved at call time."""

    def decorate(func: F) -> F:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return get_manager(server_key).transactional()(func)(*args, **kwargs)

        wrapper.__name__ = func.__name__
        wrapper.__qualname__ = func.__qualname__
        wrapper.__doc__ = func.__doc__
        wrapper.__wrapped__ = func  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
