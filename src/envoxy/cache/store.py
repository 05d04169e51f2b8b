"""``CacheStore``: cached JSON values with stale-if-error and single-flight.

Each entry is stored as ``{"v": value, "fresh_until": epoch seconds}`` and
kept by the backend ``ttl + stale_if_error`` seconds. ``get_or_load``:

- a fresh entry is returned at once;
- otherwise one caller per key runs the loader (single-flight) while the
  others wait for its result (at most ``wait_timeout`` seconds, then they load
  themselves);
- when the loader fails and an entry is at most ``stale_if_error`` seconds past
  its freshness, that stale value is served instead of the error.

A broken cache backend never breaks the caller: reads count as misses and
writes are skipped, each with a warning.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import orjson

from envoxy.cache.backends import Backend
from envoxy.cache.keys import DEFAULT_KEY_PREFIX, cache_key
from envoxy.constants import CACHE_DEFAULT_TTL
from envoxy.utils.encoders import envoxy_json_dumps
from envoxy.utils.logs import log

__all__ = ["CacheStore", "NotCacheable"]

T = TypeVar("T")
WAIT_TIMEOUT = 30.0


class NotCacheable(Exception):
    """Raised by a loader to hand back ``result`` uncached. With
    ``origin_failed`` (a 5xx answer) a stale value may be served instead."""

    def __init__(self, result: Any, origin_failed: bool = False) -> None:
        super().__init__("answer not cacheable")
        self.result = result
        self.origin_failed = origin_failed


class _Flight:
    __slots__ = ("done", "error", "payload")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.payload: bytes | None = None
        self.error: BaseException | None = None


class CacheStore:
    """JSON values by key over a ``Backend``."""

    def __init__(
        self,
        backend: Backend,
        ttl: float = CACHE_DEFAULT_TTL,
        stale_if_error: float = 0,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        wait_timeout: float = WAIT_TIMEOUT,
    ) -> None:
        self.backend = backend
        self.ttl = float(ttl)
        self.stale_if_error = float(stale_if_error)
        self.key_prefix = key_prefix
        self.wait_timeout = wait_timeout
        self._flights: dict[str, _Flight] = {}
        self._flights_lock = threading.Lock()

    # -- keys and raw entries -----------------------------------------------------
    def key(self, endpoint: str, method: Any, params: Any) -> str:
        return cache_key(endpoint, method, params, self.key_prefix)

    def _read(self, key: str) -> tuple[Any, float] | None:
        try:
            data = self.backend.get(key)
        except Exception as exc:  # the cache must never take its caller down
            log.warning(
                f"cache {self.backend.name}: read of {key!r} failed "
                f"(treated as a miss): {exc}"
            )
            return None
        if data is None:
            return None
        try:
            entry = orjson.loads(data)
            return entry["v"], float(entry["fresh_until"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            log.warning(
                f"cache {self.backend.name}: entry {key!r} is malformed, ignored"
            )
            return None

    def _write(
        self, key: str, payload: bytes, ttl: float | None, stale: float | None
    ) -> None:
        fresh = self.ttl if ttl is None else float(ttl)
        keep = fresh + (self.stale_if_error if stale is None else float(stale))
        if fresh <= 0:
            return
        try:
            self.backend.set(key, payload, keep)
        except Exception as exc:  # the cache must never take its caller down
            log.warning(
                f"cache {self.backend.name}: write of {key!r} failed, skipped: {exc}"
            )

    @staticmethod
    def _entry(value_json: bytes, fresh_for: float) -> bytes:
        stamp = orjson.dumps(time.time() + fresh_for).decode()
        return b'{"v":' + value_json + b',"fresh_until":' + stamp.encode() + b"}"

    # -- plain get/set ------------------------------------------------------------
    def get_value(self, key: str) -> Any:
        """The fresh value under ``key``, or ``None``."""
        entry = self._read(key)
        if entry is None or entry[1] <= time.time():
            return None
        return entry[0]

    def set_value(self, key: str, value: Any, ttl: float | None = None) -> None:
        fresh = self.ttl if ttl is None else float(ttl)
        self._write(key, self._entry(envoxy_json_dumps(value), fresh), ttl, None)

    def delete(self, key: str) -> None:
        try:
            self.backend.delete(key)
        except Exception as exc:  # the cache must never take its caller down
            log.warning(f"cache {self.backend.name}: delete of {key!r} failed: {exc}")

    # upstream's RedisCache API -------------------------------------------------------
    def get(self, endpoint: str, method: Any, params: Any) -> Any:
        """Upstream's ``get``: the cached JSON, or ``{}`` on a miss."""
        value = self.get_value(self.key(endpoint, method, params))
        return {} if value is None else value

    def set(
        self,
        endpoint: str,
        method: Any,
        params: Any,
        json_data: Any,
        ttl: float | None = None,
    ) -> bool:
        self.set_value(self.key(endpoint, method, params), json_data, ttl)
        return True

    # -- single-flight loading with stale-if-error ------------------------------
    def get_or_load(
        self,
        key: str,
        loader: Callable[[], T],
        ttl: float | None = None,
        stale_if_error: float | None = None,
    ) -> T:
        """The cached value of ``key``, loading it (once across threads) when needed."""
        entry = self._read(key)
        if entry is not None and entry[1] > time.time():
            return entry[0]  # type: ignore[no-any-return]
        with self._flights_lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if not leader:
            return self._follow(key, flight, loader, ttl, stale_if_error)
        try:
            payload = self._lead(key, loader, entry, ttl, stale_if_error)
            flight.payload = payload
            return orjson.loads(payload)  # type: ignore[no-any-return]
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._flights_lock:
                self._flights.pop(key, None)
            flight.done.set()

    def _follow(
        self,
        key: str,
        flight: _Flight,
        loader: Callable[[], T],
        ttl: float | None,
        stale: float | None,
    ) -> T:
        if not flight.done.wait(self.wait_timeout):
            log.warning(
                f"cache: waited {self.wait_timeout:g}s for {key!r}; loading it here"
            )
            return loader()
        if flight.error is not None:
            raise flight.error
        assert flight.payload is not None  # noqa: S101 - set whenever error is not
        return orjson.loads(flight.payload)  # type: ignore[no-any-return]

    def _lead(
        self,
        key: str,
        loader: Callable[[], Any],
        entry: tuple[Any, float] | None,
        ttl: float | None,
        stale_if_error: float | None,
    ) -> bytes:
        window = (
            self.stale_if_error if stale_if_error is None else float(stale_if_error)
        )
        try:
            value = loader()
        except NotCacheable as exc:
            if not exc.origin_failed:
                raise
            stale = self._stale(key, entry, window, exc)
            if stale is None:
                raise
            return stale
        except Exception as exc:
            stale = self._stale(key, entry, window, exc)
            if stale is None:
                raise
            return stale
        payload = envoxy_json_dumps(value)
        fresh = self.ttl if ttl is None else float(ttl)
        self._write(key, self._entry(payload, fresh), ttl, stale_if_error)
        return payload

    def _stale(
        self,
        key: str,
        entry: tuple[Any, float] | None,
        window: float,
        error: BaseException,
    ) -> bytes | None:
        if entry is None or window <= 0 or time.time() > entry[1] + window:
            return None
        log.warning(
            f"cache: origin failed for {key!r} ({error!r}); serving the stale value"
        )
        return envoxy_json_dumps(entry[0])
