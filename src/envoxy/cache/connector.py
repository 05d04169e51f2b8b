"""``cache``: the process's cache (memory, the embedded default, or Redis);
checked at boot, PINGed for readiness when in Redis, its pool closed at
shutdown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from envoxy.cache.config import check_config, existing_store
from envoxy.connectors import Connector
from envoxy.redis.client import pool_options
from envoxy.redis.connector import ping
from envoxy.utils.config import Config


class CacheConnector(Connector):
    name = "cache"
    single = True

    def parse(
        self, key: str, conf: Mapping[str, Any], config: Mapping[str, Any]
    ) -> None:
        check_config(conf)

    def check(self, key: str, timeout: float) -> dict[str, Any]:
        conf = Config.get(self.name) or {}
        backend = check_config(conf)
        if backend == "memory":
            return {"ok": True, "backend": backend}
        return {**ping(pool_options("cache", conf), timeout), "backend": backend}

    def close(self, deadline: float) -> None:
        store = existing_store()
        redis = getattr(getattr(store, "backend", None), "redis", None)
        if redis is not None:
            redis.connection_pool.disconnect()


CONNECTOR = CacheConnector()
