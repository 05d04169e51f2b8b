"""The cache envoy.json describes (``cache`` key), built once per process.

``{"backend": "redis", "bind": "127.0.0.1:6379", "db": 1, "ttl": 3600,
"key_prefix": "svc", "stale_if_error": 300}``, or ``{"backend": "memory",
"capacity": 10000}``; with no ``cache`` key the in-process memory cache is
the embedded default.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from envoxy.cache.backends import MemoryBackend, RedisBackend
from envoxy.cache.keys import DEFAULT_KEY_PREFIX
from envoxy.cache.store import CacheStore
from envoxy.constants import CACHE_DEFAULT_TTL, REDIS_BACKEND
from envoxy.exceptions import ConfigError

__all__ = [
    "MemoryCache",
    "RedisCache",
    "build_store",
    "check_config",
    "default_store",
    "existing_store",
    "reset_default_store",
]

_default: CacheStore | None = None
_lock = threading.Lock()


def _options(conf: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return {
            "ttl": float(conf.get("ttl", CACHE_DEFAULT_TTL)),
            "stale_if_error": float(conf.get("stale_if_error", 0)),
            "key_prefix": str(conf.get("key_prefix") or DEFAULT_KEY_PREFIX),
        }
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"cache: {exc}") from None


class RedisCache(CacheStore):
    """Upstream's ``RedisCache(config)``: the cache in Redis."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(RedisBackend(config), **_options(config))

    @property
    def redis(self) -> Any:
        return self.backend.redis  # type: ignore[attr-defined]


class MemoryCache(CacheStore):
    """The in-process cache (thread-safe LRU): the embedded default."""

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        conf = config or {}
        super().__init__(
            MemoryBackend(int(conf.get("capacity", 10_000))), **_options(conf)
        )


def check_config(conf: Mapping[str, Any]) -> str:
    """The backend of a ``cache`` section, every value checked (``ConfigError``
    naming the key) without building anything."""
    backend = conf.get("backend", "memory")
    if backend not in (REDIS_BACKEND, "memory"):
        raise ConfigError(
            f"cache.backend: expected 'redis' or 'memory', got {backend!r}"
        )
    _options(conf)
    if backend == REDIS_BACKEND:
        from envoxy.exceptions import DatabaseException
        from envoxy.redis.client import pool_options

        try:
            pool_options("cache", conf)
        except DatabaseException as exc:
            raise ConfigError(
                str(exc).replace("redis_servers.cache", "cache")
            ) from None
    else:
        try:
            capacity = int(conf.get("capacity", 10_000))
        except (TypeError, ValueError):
            capacity = 0
        if capacity < 1:
            given = conf.get("capacity")
            raise ConfigError(
                f"cache.capacity: expected a positive integer, got {given!r}"
            )
    return str(backend)


def existing_store() -> CacheStore | None:
    """The process's cache if it was built (nothing is built here)."""
    return _default


def build_store(conf: Mapping[str, Any] | None) -> CacheStore:
    backend = (conf or {}).get("backend", "memory")
    if backend == REDIS_BACKEND:
        return RedisCache(conf or {})
    if backend == "memory":
        return MemoryCache(conf)
    raise ConfigError(f"cache.backend: expected 'redis' or 'memory', got {backend!r}")


def default_store() -> CacheStore:
    """The process's cache, from the ``cache`` config (built on first use)."""
    global _default
    store = _default
    if store is None:
        with _lock:
            if _default is None:
                from envoxy.utils.config import Config

                _default = build_store(Config.get("cache") or None)
            store = _default
    return store


def reset_default_store() -> None:
    """Forget the process cache (tests, reconfiguration)."""
    global _default
    with _lock:
        _default = None
