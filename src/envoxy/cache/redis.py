"""Upstream's ``envoxy.cache.redis`` path: ``RedisCache`` (the cache in Redis)."""

from envoxy.cache.config import RedisCache

__all__ = ["RedisCache"]
