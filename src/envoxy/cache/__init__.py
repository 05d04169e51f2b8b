"""Caching: ``Cache``, ``RedisCache``, ``MemoryCache``, and the ``@cache`` decorator.

This module is itself callable, so ``from envoxy import cache`` works both as
upstream's decorator (``@cache(ttl=60)``) and as the package
(``cache.RedisCache``). Keys are documented in ``envoxy.cache.keys``.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from envoxy.cache.backends import MemoryBackend, RedisBackend
from envoxy.cache.config import (
    MemoryCache,
    RedisCache,
    build_store,
    default_store,
    reset_default_store,
)
from envoxy.cache.decorator import CacheDecorator
from envoxy.cache.keys import cache_key
from envoxy.cache.store import CacheStore, NotCacheable

__all__ = [
    "Cache",
    "CacheDecorator",
    "CacheStore",
    "MemoryBackend",
    "MemoryCache",
    "NotCacheable",
    "RedisBackend",
    "RedisCache",
    "build_store",
    "cache_key",
    "default_store",
    "reset_default_store",
]


class Cache:
    """Upstream's entry point: ``Cache().get_backend()`` is the configured cache."""

    def get_backend(self) -> CacheStore:
        return default_store()

    @property
    def redis(self) -> Any:
        return getattr(default_store().backend, "redis", None)


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> CacheDecorator:
        return CacheDecorator(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
