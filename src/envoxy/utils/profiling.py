"""cProfile helpers, as upstream: the top ``top`` entries sorted by ``type``
printed to stdout.

``profiled_decorator(func, top=10, type="cumulative")`` wraps a function,
``profiled_context(top=10, type="cumulative")`` profiles a ``with`` block,
``profile_func(func, *args, pf_top=10, pf_type="cumulative", **kwargs)`` runs
one call. For development: profiling slows the profiled code several times.
"""

from __future__ import annotations

import cProfile
import functools
import io
import pstats
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["profile_func", "profiled_context", "profiled_decorator"]

F = TypeVar("F", bound=Callable[..., Any])


def _report(profile: cProfile.Profile, top: int, sort: str) -> None:
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(sort).print_stats(top)
    sys.stdout.write(out.getvalue())


@contextmanager
def profiled_context(top: int = 10, type: str = "cumulative") -> Iterator[None]:
    """Profile the ``with`` block; print its top entries at the end."""
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        _report(profile, top, type)


def profiled_decorator(func: F, top: int = 10, type: str = "cumulative") -> F:
    """``func`` profiled on every call."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with profiled_context(top, type):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def profile_func(
    func: Callable[..., Any],
    *args: Any,
    pf_top: int = 10,
    pf_type: str = "cumulative",
    **kwargs: Any,
) -> Any:
    """``func(*args, **kwargs)`` once, profiled; its result."""
    with profiled_context(pf_top, pf_type):
        return func(*args, **kwargs)
