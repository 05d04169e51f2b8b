"""``LRUCache(capacity)``: upstream's small least-recently-used map.

``get(key)`` gives the value (and marks it recently used) or ``-1`` on a miss,
as upstream; ``set(key, value)`` evicts the least recently used entry when
full. Thread-safe here (upstream's was not).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

__all__ = ["LRUCache"]

MISS = -1


class LRUCache:
    def __init__(self, capacity: int) -> None:
        if int(capacity) < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity!r}")
        self.capacity = int(capacity)
        self.cache: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            if key not in self.cache:
                return MISS
            self.cache.move_to_end(key)
            return self.cache[key]

    def set(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self.cache[key] = value
            self.cache.move_to_end(key)
            if len(self.cache) > self.capacity:
                self.cache.popitem(last=False)

    def __len__(self) -> int:
        return len(self.cache)
