"""The one bounded retry loop of every connector, and its config keys.

Every connector entry that retries reads the same keys with the same
meaning (``RetryPolicy.from_conf``): ``retries`` (attempts after the first;
0 turns retrying off), ``backoff_ms`` (the first pause, doubled after each
failure, at most ``MAX_BACKOFF_S``) and, where a whole call has an overall
bound, ``deadline_ms`` (no attempt or pause goes past it).

``retry(action, retries, retry_on=...)`` calls ``action`` at most
``retries + 1`` times, sleeping ``backoff_s`` doubled after each failure (at
most ``max_backoff_s``), and never starts a sleep that would end past
``deadline`` (a ``time.monotonic()`` value). Only the exceptions in
``retry_on`` are retried; the last one is raised as it is, so each caller
words its own final error.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from envoxy.exceptions import ConfigError
from envoxy.utils.logs import Log

__all__ = ["DEFAULT_BACKOFF_S", "MAX_BACKOFF_S", "RetryPolicy", "Retryable", "retry"]

T = TypeVar("T")


class Retryable(Exception):
    """One attempt failed in a way worth another (a connection error, a 5xx,
    no reply); its text says why, for the caller's final error."""


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


def _count(where: str, name: str, value: Any, minimum: int) -> int:
    try:
        number = int(value)  # upstream configs carry numbers as strings too
    except (TypeError, ValueError):
        number = minimum - 1
    if isinstance(value, bool) or number < minimum:
        raise ConfigError(
            f"{where}.{name}: expected an integer of at least {minimum}, got {value!r}"
        )
    return number


@dataclass(frozen=True)
class RetryPolicy:
    """``retries``, ``backoff_ms`` and ``deadline_ms`` of one connector entry."""

    retries: int
    backoff_ms: int
    deadline_ms: int | None = None

    @classmethod
    def from_conf(
        cls,
        where: str,
        conf: Mapping[str, Any],
        retries: int,
        backoff_ms: int,
        deadline_ms: int | None = None,
    ) -> RetryPolicy:
        """The entry's policy (the given defaults for keys it lacks);
        ``ConfigError`` naming ``where.<key>`` for a bad value."""
        deadline = conf.get("deadline_ms", deadline_ms)
        return cls(
            retries=_count(where, "retries", conf.get("retries", retries), 0),
            backoff_ms=_count(
                where, "backoff_ms", conf.get("backoff_ms", backoff_ms), 0
            ),
            deadline_ms=None
            if deadline is None
            else _count(where, "deadline_ms", deadline, 1),
        )

    @property
    def backoff_s(self) -> float:
        return self.backoff_ms / 1000

    def run(
        self,
        action: Callable[[], T],
        *,
        retry_on: type[BaseException] | tuple[type[BaseException], ...],
        where: str = "",
        started: float | None = None,
    ) -> T:
        """``action()`` under this policy (``retry``); ``deadline_ms`` counts
        from ``started`` (``time.monotonic()``, default now)."""
        deadline = None
        if self.deadline_ms is not None:
            begin = time.monotonic() if started is None else started
            deadline = begin + self.deadline_ms / 1000
        return retry(
            action,
            self.retries,
            retry_on=retry_on,
            backoff_s=self.backoff_s,
            deadline=deadline,
            where=where,
        )
