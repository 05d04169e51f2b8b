"""``redis_servers``: ``redisc``'s pools; readiness is a PING with the
check's own short timeouts (not the pool's, which retries)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import redis

from envoxy.connectors import Connector
from envoxy.redis.client import Client, pool_options
from envoxy.utils.config import Config


def ping(options: dict[str, Any], timeout: float) -> dict[str, Any]:
    """PING one server with a connection of its own (readiness)."""
    options = dict(options, socket_timeout=timeout, socket_connect_timeout=timeout)
    options.pop("health_check_interval", None)
    options.pop("max_connections", None)
    client = redis.Redis(**options)
    try:
        return {"ok": bool(client.ping())}
    finally:
        client.close()


class RedisConnector(Connector):
    name = "redis_servers"

    def parse(
        self, key: str, conf: Mapping[str, Any], config: Mapping[str, Any]
    ) -> None:
        pool_options(key, conf)

    def check(self, key: str, timeout: float) -> dict[str, Any]:
        return ping(pool_options(key, (Config.get(self.name) or {})[key]), timeout)

    def close(self, deadline: float) -> None:
        client = Client.existing()
        if client is not None:
            client.close()


CONNECTOR = RedisConnector()
