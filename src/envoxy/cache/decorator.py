"""``@cache(ttl=...)`` for view methods.

The key (docs/CACHE.md): the request's ``full_path`` (path and query, so route
variables and query arguments count), the view method's name, the JSON body
except for ``get``, and the caller's identity: a SHA-256 of the
``Authorization`` and ``Cookie`` headers and of any headers named in
``vary=``. A caller without them shares the anonymous entry, whose key is
upstream's exactly; one with them never sees another's answer.

Authentication always runs before the cache is consulted: ``@cache`` written
above ``@auth_required`` is re-ordered at decoration time, so a cached answer
is never handed to a caller the view would have refused.

Only 200 answers are cached; a 5xx (or an exception) from the view serves the
stale copy when ``stale_if_error`` allows. The cache is looked up when the
view runs, not when the module is imported.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from envoxy.auth.decorators import AUTH_MARK, AUTH_OPTIONS, guard
from envoxy.cache.store import CacheStore, NotCacheable
from envoxy.constants import CACHE_DEFAULT_TTL
from envoxy.views.containers import Response
from envoxy.views.dispatch import accepted_keywords, fit_keywords
from envoxy.views.headers import header_value

__all__ = ["IDENTITY_HEADERS", "CacheDecorator", "identity_of"]

#: Headers that say who is calling: always part of a cached view's key.
IDENTITY_HEADERS = ("Authorization", "Cookie")


def _body(request: Any) -> Any:
    getter = getattr(request, "get_json", None)
    if getter is None:
        return None
    try:
        return getter(silent=True)
    except TypeError:  # a get_json without the silent keyword
        return getter()


def identity_of(request: Any, vary: Iterable[str] = ()) -> str:
    """``""`` for an anonymous caller sending none of the headers, else
    ``u-<32 hex>``: a SHA-256 of each identity and ``vary`` header present."""
    headers = getattr(request, "headers", None)
    if headers is None:
        return ""
    digest = hashlib.sha256()
    seen = False
    for name in (*IDENTITY_HEADERS, *vary):
        value = header_value(headers, name)
        if value is None:
            continue
        seen = True
        digest.update(f"{name.lower()}\x00{value}\x00".encode("utf-8", "replace"))
    return f"u-{digest.hexdigest()[:32]}" if seen else ""


class CacheDecorator:
    """``@cache(ttl=60, stale_if_error=300, vary=["Accept-Language"])`` on
    ``def get(self, request, ...)``."""

    def __init__(
        self,
        ttl: float = CACHE_DEFAULT_TTL,
        stale_if_error: float | None = None,
        store: CacheStore | None = None,
        vary: Iterable[str] = (),
    ) -> None:
        self.ttl = ttl
        self.stale_if_error = stale_if_error
        self.store = store
        self.vary = tuple(vary)

    def __call__(self, func: Callable[..., Any]) -> Callable[..., Any]:
        kind = getattr(func, AUTH_MARK, None)
        inner = getattr(func, "__wrapped__", None)
        if kind is not None and inner is not None:
            # @cache above @auth_required: authenticate first, then the cache
            return guard(kind, getattr(func, AUTH_OPTIONS, {}))(self(inner))
        return self._cached(func)

    def _cached(self, func: Callable[..., Any]) -> Callable[..., Any]:
        method = func.__name__
        accepted = accepted_keywords(func)  # the method gets what it takes

        @functools.wraps(func)
        def wrapper(view: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            from envoxy.cache.config import default_store

            store = self.store or default_store()
            params = {} if method == "get" else _body(request)
            key = store.key(getattr(request, "full_path", "") or "", method, params)
            identity = identity_of(request, self.vary)
            if identity:
                key = f"{key}:{identity}"

            def load() -> Any:
                fitted = fit_keywords(accepted, kwargs)
                response = Response.force_type(func(view, request, *args, **fitted))
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
