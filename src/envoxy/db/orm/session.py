"""Session helpers keyed by ``psql_servers`` entries of envoxy.json.

A server entry is either ``{"url": "..."}``/``{"dsn": "..."}`` (any SQLAlchemy
URL, SQLite included) or ``{host, port, db, user, passwd}`` for PostgreSQL (the
URL is built with proper escaping). ``"default": "<key>"`` names the default
server; otherwise the first one is. Sessions run on the key's one engine
(envoxy.postgresql.engines), whose pool ``pgsqlc`` shares.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from envoxy.db.orm.manager import EnvoxySessionManager
from envoxy.exceptions import ConfigError, DatabaseException
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


def server_url(conf: dict[str, Any], key: str = "server") -> str | URL:
    """The SQLAlchemy URL of one server entry (envoxy.postgresql.engines)."""
    from envoxy.postgresql.engines import server_url as url_of

    try:
        return url_of(key, conf)
    except ConfigError as exc:
        raise DatabaseException(f"Invalid psql server config: {exc}") from None


def get_manager(server_key: str | None = None) -> EnvoxySessionManager:
    """The cached session manager of ``server_key`` (None: the default
    server), on the key's one engine (the pool pgsqlc uses too)."""
    from envoxy.postgresql.engines import engine

    key = validate_server_key(server_key)
    conf = _servers()[key]
    try:
        wanted = engine(key, conf)
    except ConfigError as exc:
        raise DatabaseException(f"Invalid psql server config: {exc}") from None
    manager = _managers.get(key)
    if manager is not None and manager.engine is wanted:
        return manager
    with _lock:
        manager = _managers.get(key)
        if manager is None or manager.engine is not wanted:
            manager = EnvoxySessionManager(engine=wanted)
            _managers[key] = manager
    return manager


def dispose_manager(server_key: str) -> None:
    with _lock:
        manager = _managers.pop(server_key, None)
    if manager is not None:
        manager.dispose()


def dispose_all() -> None:
    """Forget the managers and close every engine's idle connections."""
    from envoxy.postgresql.engines import dispose_all as dispose_engines

    with _lock:
        _managers.clear()
    dispose_engines()


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
