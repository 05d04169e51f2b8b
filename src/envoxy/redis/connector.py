"""``redis_servers``: ``redisc``'s pools; readiness is a PING with the
check's own short timeouts (not the pool's, which retries)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from envoxy.connectors import Connector


class RedisConnector(Connector):
    name = "redis_servers"

    def parse(
        self, key: str, conf: Mapping[str, Any], config: Mapping[str, Any]
    ) -> None:
        from envoxy.redis.client import pool_options

        pool_options(key, conf)

    def check(self, key: str, timeout: float) -> dict[str, Any]:
        import redis

        from envoxy.redis.client import pool_options
        from envoxy.utils.config import Config

        options = pool_options(key, (Config.get(self.name) or {})[key])
        options.update(socket_timeout=timeout, socket_connect_timeout=timeout)
        options.pop("health_check_interval")
        options.pop("max_connections")
        client = redis.Redis(**options)
        try:
            return {"ok": bool(client.ping())}
        finally:
            client.close()

    def close(self) -> None:
        from envoxy.redis.client import Client

        client = Client.existing()
        if client is not None:
            client.close()


CONNECTOR = RedisConnector()
