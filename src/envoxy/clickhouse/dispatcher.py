"""``chsqlc``: read-only ClickHouse queries from ``clickhouse_servers``.

The client (and clickhouse-connect) load on first use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from envoxy.exceptions import DatabaseException

if TYPE_CHECKING:
    from envoxy.clickhouse.client import Client

__all__ = ["ClickHouseDispatcher", "Dispatcher"]


def _client() -> Client:
    from envoxy.clickhouse.client import Client
    from envoxy.utils.config import Config

    if not Config.get("clickhouse_servers"):
        raise DatabaseException("Error to find ClickHouse Servers config")
    return Client.instance()


class Dispatcher:
    """Upstream's static API: ``chsqlc.query(key, sql, params, query_settings)``."""

    @staticmethod
    def query(
        server_key: str,
        sql: str,
        params: Mapping[str, Any] | None = None,
        query_settings: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Rows as dicts with JSON-ready values; read-only (``readonly=2``),
        ``max_execution_time`` 30 s unless ``query_settings`` says otherwise."""
        return _client().query(server_key, sql, params, query_settings)

    @staticmethod
    def client() -> Client:
        return _client()


ClickHouseDispatcher = Dispatcher
