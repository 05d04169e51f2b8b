"""``couchdbc``: CouchDB documents by ``"<server_key>.<database>"``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from envoxy.exceptions import DatabaseException

if TYPE_CHECKING:
    from envoxy.couchdb.client import Client

__all__ = ["CouchDBDispatcher", "Dispatcher"]


def _client() -> Client:
    from envoxy.couchdb.client import Client
    from envoxy.utils.config import Config

    if not Config.get("couchdb_servers"):
        raise DatabaseException("Error to find COUCHDB Servers config")
    return Client.instance()


class Dispatcher:
    """Upstream's static API: ``find``, ``get``, ``post``."""

    @staticmethod
    def find(
        db: str | None = None,
        fields: list[str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        return _client().find(db=db, fields=fields, params=params)

    @staticmethod
    def get(id: str, db: str | None = None) -> dict[str, Any]:
        return _client().get(id, db=db)

    @staticmethod
    def post(db: str | None = None, payload: Any = None) -> Any:
        return _client().post(db=db, payload=payload)


CouchDBDispatcher = Dispatcher
