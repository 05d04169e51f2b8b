"""The one bounded retry loop of every connector.

``retry(action, retries, retry_on=...)`` calls ``action`` at most
``retries + 1`` times, sleeping ``backoff_s`` doubled after each failure (at
most ``max_backoff_s``), and never starts a sleep that would end past
``deadline`` (a ``time.monotonic()`` value). Only the exceptions in
``retry_on`` are retried; the last one is raised as it is, so each caller
words its own final error.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from envoxy.utils.logs import Log

__all__ = ["DEFAULT_BACKOFF_S", "MAX_BACKOFF_S", "retry"]

T = TypeVar("T")

DEFAULT_BACKOFF_S = 0.1
MAX_BACKOFF_S = 2.0


def retry(
    action: Callable[[], T],
    retries: int,
    *,
    retry_on: type[BaseException] | tuple[type[BaseException], ...],
    backoff_s: float = DEFAULT_BACKOFF_S,
    max_backoff_s: float = MAX_BACKOFF_S,
    deadline: float | None = None,
    where: str = "",
    sleep: Callable[[float], Any] = time.sleep,
) -> T:
    """``action()``, retried on ``retry_on`` as the module docstring says."""
    attempts = 1 + max(0, int(retries))
    for attempt in range(attempts):
        try:
            return action()
        except retry_on as exc:
            pause = min(backoff_s * 2**attempt, max_backoff_s)
            last = attempt + 1 == attempts
            if last or (deadline is not None and time.monotonic() + pause > deadline):
                raise
            Log.debug(
                f"{where or 'retry'}: attempt {attempt + 1} of {attempts} failed "
                f"({type(exc).__name__}); again in {pause:g}s"
            )
        sleep(pause)
    raise AssertionError("unreachable: the last attempt returns or raises")
