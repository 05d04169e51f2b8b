"""``@throttle(duration=1, on_throttling=...)``: at most one call per
``duration`` seconds.

Upstream's contract: a call within ``duration`` of the last call that ran
returns ``None`` and calls ``on_throttling()`` instead. Unlike upstream, the
check and the update are one step under a lock, so two threads never both
run inside the same window; each decorated function has its own window.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["throttle"]

F = TypeVar("F", bound=Callable[..., Any])


def _nothing() -> None:
    return None


def throttle(
    duration: float = 1, on_throttling: Callable[[], Any] = _nothing
) -> Callable[[F], F]:
    """Run the decorated function at most once per ``duration`` seconds."""

    def decorate(func: F) -> F:
        lock = threading.Lock()
        last: list[float | None] = [None]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            now = time.monotonic()
            with lock:
                ran = last[0]
                if ran is not None and now - ran < duration:
                    allowed = False
                else:
                    allowed = True
                    last[0] = now
            if not allowed:
                on_throttling()
                return None
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
