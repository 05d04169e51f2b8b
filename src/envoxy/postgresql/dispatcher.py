"""``pgsqlc``: PostgreSQL reads (``query``), transactions and ORM sessions.

The client (and psycopg2) load on first use, from ``psql_servers``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from envoxy.exceptions import DatabaseException

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from envoxy.db.orm.manager import EnvoxySessionManager
    from envoxy.postgresql.client import Client

__all__ = ["Dispatcher", "PgDispatcher"]


def _client() -> Client:
    from envoxy.postgresql.client import Client
    from envoxy.utils.config import Config

    if not Config.get("psql_servers"):
        raise DatabaseException("Error to find PSQL Servers config")
    return Client.instance()


def _default_key(server_key: str | None) -> str:
    if server_key:
        return server_key
    from envoxy.db.orm.session import get_default_server_key

    return get_default_server_key()


class Dispatcher:
    """Upstream's static API: ``pgsqlc.query(server_key, sql, params)``..."""

    @staticmethod
    def query(
        server_key: str | None = None,
        sql: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Rows as dicts, read-only; ``%(name)s`` placeholders bound from ``params``."""
        return _client().query(_default_key(server_key), sql, params)

    @staticmethod
    def transaction(server_key: str | None = None) -> AbstractContextManager[Any]:
        """``with pgsqlc.transaction(key) as db: db.query(...)`` can write."""
        return _client().transaction(_default_key(server_key))

    @staticmethod
    def client() -> Client:
        return _client()

    @staticmethod
    def sa_manager(server_key: str | None = None) -> EnvoxySessionManager:
        from envoxy.db.orm.session import get_manager

        return get_manager(server_key)

    @staticmethod
    def sa_session(server_key: str | None = None) -> AbstractContextManager[Session]:
        from envoxy.db.orm.session import session_scope

        return session_scope(server_key)

    @staticmethod
    def session(server_key: str | None = None) -> AbstractContextManager[Session]:
        """The design documents' name of ``sa_session``: an ORM session on
        ``server_key``'s engine that commits at the end, or rolls back."""
        from envoxy.db.orm.session import session_scope

        return session_scope(server_key)

    @staticmethod
    def sa_transactional(server_key: str | None = None) -> Callable[[Any], Any]:
        from envoxy.db.orm.session import transactional

        return transactional(server_key)


PgDispatcher = Dispatcher
