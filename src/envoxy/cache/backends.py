"""Where cached bytes live: an in-process LRU, or Redis.

Both store bytes with a time to live; the store above them decides what the
bytes mean. The memory backend is thread-safe and bounded by ``capacity``.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Protocol

__all__ = ["Backend", "MemoryBackend", "RedisBackend"]


class Backend(Protocol):
    name: str

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, data: bytes, ttl: float) -> None: ...

    def delete(self, key: str) -> None: ...


class MemoryBackend:
    """A thread-safe LRU of at most ``capacity`` entries, each with an expiry."""

    name = "memory"

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = max(1, int(capacity))
        self._data: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        now = time.monotonic()
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return None
            expires, data = entry
            if expires <= now:
                del self._data[key]
                return None
            self._data.move_to_end(key)
            return data

    def set(self, key: str, data: bytes, ttl: float) -> None:
        with self._lock:
            self._data[key] = (time.monotonic() + ttl, data)
            self._data.move_to_end(key)
            while len(self._data) > self.capacity:
                self._data.popitem(last=False)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)


class RedisBackend:
    """Bytes in Redis with ``SET ... PX`` (value and expiry in one command)."""

    name = "redis"

    def __init__(self, conf: Mapping[str, Any]) -> None:
        from envoxy.redis.client import connect

        self.redis, _ = connect("cache", conf)

    def get(self, key: str) -> bytes | None:
        data = self.redis.get(key)
        if data is None:
            return None
        return data.encode() if isinstance(data, str) else bytes(data)

    def set(self, key: str, data: bytes, ttl: float) -> None:
        self.redis.set(key, data, px=max(1, int(ttl * 1000)))

    def delete(self, key: str) -> None:
        self.redis.delete(key)
