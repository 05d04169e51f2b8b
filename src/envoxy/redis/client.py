"""The Redis client behind ``redisc``: JSON values, a pool per server key.

redis-py uses the hiredis parser when hiredis is installed (it is a
dependency). Connection errors are retried a bounded number of times, then
surface as ``RedisUnavailable`` naming the server; the pool reconnects by
itself on the next call once Redis is back.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import orjson
import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from envoxy.constants import (
    REDIS_DEFAULT_DB,
    REDIS_DEFAULT_HOST,
    REDIS_DEFAULT_PORT,
    REDIS_DEFAULT_TTL,
)
from envoxy.exceptions import DatabaseException
from envoxy.utils.encoders import envoxy_json_dumps
from envoxy.utils.retry import MAX_BACKOFF_S, RetryPolicy
from envoxy.utils.singleton import Singleton

__all__ = ["Client", "RedisUnavailable", "connect", "server_settings"]

SOCKET_TIMEOUT = 5.0
RETRIES = 2
BACKOFF_MS = 50


class RedisUnavailable(DatabaseException):
    """Redis did not answer (after the bounded retries)."""


def server_settings(key: str, conf: Mapping[str, Any]) -> dict[str, Any]:
    """Connection keywords from a ``redis_servers`` entry (``bind`` or host/port)."""
    bind = conf.get("bind")
    if bind:
        host, _, port = str(bind).rpartition(":")
        if not host:
            host, port = str(bind), REDIS_DEFAULT_PORT
    else:
        host, port = (
            conf.get("host", REDIS_DEFAULT_HOST),
            conf.get("port", REDIS_DEFAULT_PORT),
        )
    try:
        return {
            "host": host,
            "port": int(port),
            "db": int(conf.get("db", REDIS_DEFAULT_DB)),
            "password": conf.get("passwd") or conf.get("password") or None,
            "ttl": int(conf.get("ttl", REDIS_DEFAULT_TTL)),
        }
    except (TypeError, ValueError) as exc:
        raise DatabaseException(f"redis_servers.{key}: {exc}") from None


def pool_options(key: str, conf: Mapping[str, Any]) -> dict[str, Any]:
    """``redis.ConnectionPool`` keywords of one entry (``DatabaseException``
    naming the key for a bad value; envoxyd checks each entry at boot)."""
    settings = server_settings(key, conf)
    try:
        options = {
            "host": settings["host"],
            "port": settings["port"],
            "db": settings["db"],
            "password": settings["password"],
            "socket_timeout": float(conf.get("socket_timeout", SOCKET_TIMEOUT)),
            "socket_connect_timeout": float(
                conf.get("connect_timeout", SOCKET_TIMEOUT)
            ),
            "health_check_interval": 30,
            "max_connections": int(conf.get("max_conn", 50)),
        }
    except (TypeError, ValueError) as exc:
        raise DatabaseException(f"redis_servers.{key}: {exc}") from None
    _retry(key, conf)  # its keys are checked with the others
    return options


def _retry(key: str, conf: Mapping[str, Any]) -> Retry:
    """redis-py's own retry, on the keys and meanings of every connector
    (``retries``, ``backoff_ms``: envoxy.utils.retry)."""
    policy = RetryPolicy.from_conf(f"redis_servers.{key}", conf, RETRIES, BACKOFF_MS)
    backoff = ExponentialBackoff(cap=MAX_BACKOFF_S, base=policy.backoff_s)
    return Retry(backoff, policy.retries)


def connect(key: str, conf: Mapping[str, Any]) -> tuple[redis.Redis, dict[str, Any]]:
    """A pooled ``redis.Redis`` for one server entry, with bounded retries."""
    settings = server_settings(key, conf)
    pool = redis.ConnectionPool(**pool_options(key, conf))
    client = redis.Redis(
        connection_pool=pool,
        retry=_retry(key, conf),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
    )
    return client, settings


class _Server:
    def __init__(self, key: str, conf: Mapping[str, Any]) -> None:
        self.redis, settings = connect(key, conf)
        self.key = key
        self.address = f"{settings['host']}:{settings['port']}"
        self.ttl = settings["ttl"]
        self.pool = self.redis.connection_pool


class Client(Singleton):
    """Redis servers by key, each with its own connection pool."""

    def __init__(self, server_conf: Mapping[str, Any] | None = None) -> None:
        if server_conf is None:
            from envoxy.utils.config import Config

            server_conf = Config.get("redis_servers") or {}
        self._servers: dict[str, _Server] = {}
        self._lock = threading.Lock()
        for key, conf in server_conf.items():
            if isinstance(conf, Mapping):
                self._servers[key] = _Server(key, conf)

    def _server(self, server_key: str) -> _Server:
        server = self._servers.get(server_key)
        if server is None:
            raise DatabaseException(
                f"No configuration found for redis server key: {server_key}"
            )
        return server

    def client(self, server_key: str) -> redis.Redis:
        """The raw ``redis.Redis`` of ``server_key`` (bytes in, bytes out)."""
        return self._server(server_key).redis

    def _call(self, server: _Server, command: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(server.redis, command)(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise RedisUnavailable(
                f"Redis server {server.key!r} at {server.address} is unavailable: {exc}"
            ) from exc

    def get(self, server_key: str, key: str) -> Any:
        """The JSON-decoded value, or ``None`` when the key is absent."""
        server = self._server(server_key)
        data = self._call(server, "get", key)
        return None if data is None else orjson.loads(data)

    def set(
        self, server_key: str, key: str, value: Any, ttl: int | None = None
    ) -> bool:
        """Store ``value`` as JSON for ``ttl`` seconds (default: the server's ttl)."""
        server = self._server(server_key)
        expiry = server.ttl if ttl is None else int(ttl)
        return bool(
            self._call(server, "set", key, envoxy_json_dumps(value), ex=expiry or None)
        )

    def delete(self, server_key: str, *keys: str) -> int:
        server = self._server(server_key)
        return int(self._call(server, "delete", *keys)) if keys else 0

    def close(self) -> None:
        for server in self._servers.values():
            server.pool.disconnect()
