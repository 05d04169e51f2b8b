"""View decorators (upstream path ``envoxy.decorators``): on, cache, log_event.

``auth_required`` arrives with the HTTP views.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from envoxy.auth.decorators import auth_anonymous_allowed, auth_required
from envoxy.cache.decorator import CacheDecorator as cache
from envoxy.utils.logs import log
from envoxy.views.dispatch import accepted_keywords, fit_keywords

__all__ = ["auth_anonymous_allowed", "auth_required", "cache", "log_event", "on"]

C = TypeVar("C", bound=type)
F = TypeVar("F", bound=Callable[..., Any])


def on(**kwargs: Any) -> Callable[[C], C]:
    """``@on(endpoint=..., protocols=[...], server=..., qos=...)`` on a View class."""

    def bind(klass: C) -> C:
        meta = type("Meta", (), dict(kwargs))
        klass.__metaclass__ = meta  # type: ignore[attr-defined]
        return klass

    return bind


def log_event(func: F) -> F:
    """Log each event an ``on_event`` receives (trace: the topic; verbose: the data)."""

    accepted = accepted_keywords(func)  # on_event gets what it takes

    @functools.wraps(func)
    def wrapper(self: Any, data: Any, **kwargs: Any) -> Any:
        topic = kwargs.get("topic", "")
        log.trace(f"< ON_EVENT [MQTT] {topic}")
        log.verbose(f"< ON_EVENT [MQTT] {topic} payload: {data!r}")
        return func(self, data, **fit_keywords(accepted, kwargs))

    return wrapper  # type: ignore[return-value]
