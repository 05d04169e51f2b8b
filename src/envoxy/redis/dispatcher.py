"""``redisc``: JSON values in Redis, by server key (``redis_servers``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from envoxy.exceptions import DatabaseException

if TYPE_CHECKING:
    import redis

    from envoxy.redis.client import Client

__all__ = ["Dispatcher", "RedisDBDispatcher"]


def _client() -> Client:
    from envoxy.redis.client import Client
    from envoxy.utils.config import Config

    if not Config.get("redis_servers"):
        raise DatabaseException("Error to find REDIS Servers config")
    return Client.instance()


class Dispatcher:
    """Upstream's static API, with ``get`` fixed and ``ttl``/``delete`` added."""

    @staticmethod
    def get(server_key: str, key: str) -> Any:
        """The stored value (JSON-decoded), ``None`` on a miss."""
        return _client().get(server_key, key)

    @staticmethod
    def set(server_key: str, key: str, value: Any, ttl: int | None = None) -> bool:
        return _client().set(server_key, key, value, ttl)

    @staticmethod
    def delete(server_key: str, *keys: str) -> int:
        return _client().delete(server_key, *keys)

    @staticmethod
    def client(server_key: str) -> redis.Redis:
        return _client().client(server_key)


RedisDBDispatcher = Dispatcher
