"""``@cache(ttl=...)`` for view methods.

The key is the request's ``full_path``, the view method's name and, except for
``get``, the JSON body. Only 200 answers are cached; a 5xx (or an exception)
from the view serves the stale copy when ``stale_if_error`` allows. The cache
is looked up when the view runs, not when the module is imported.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from envoxy.cache.store import CacheStore, NotCacheable
from envoxy.constants import CACHE_DEFAULT_TTL
from envoxy.views.containers import Response

__all__ = ["CacheDecorator"]


def _body(request: Any) -> Any:
    getter = getattr(request, "get_json", None)
    if getter is None:
        return None
    try:
        return getter(silent=True)
    except TypeError:  # a get_json without the silent keyword
        return getter()


class CacheDecorator:
    """``@cache(ttl=60, stale_if_error=300)`` on ``def get(self, request, ...)``."""

    def __init__(
        self,
        ttl: float = CACHE_DEFAULT_TTL,
        stale_if_error: float | None = None,
        store: CacheStore | None = None,
    ) -> None:
        self.ttl = ttl
        self.stale_if_error = stale_if_error
        self.store = store

    def __call__(self, func: Callable[..., Any]) -> Callable[..., Any]:
        method = func.__name__

        @functools.wraps(func)
        def wrapper(view: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            from envoxy.cache.config import default_store

            store = self.store or default_store()
            params = {} if method == "get" else _body(request)
            key = store.key(getattr(request, "full_path", "") or "", method, params)

            def load() -> Any:
                response = Response.force_type(func(view, request, *args, **kwargs))
                if response.status_code != 200:
                    raise NotCacheable(
                        response, origin_failed=response.status_code >= 500
                    )
                return response.get_json()

            try:
                data = store.get_or_load(
                    key, load, ttl=self.ttl, stale_if_error=self.stale_if_error
                )
            except NotCacheable as skipped:
                return skipped.result
            cached_response = getattr(view, "cached_response", None)
            return cached_response(data) if cached_response else Response(data)

        return wrapper
