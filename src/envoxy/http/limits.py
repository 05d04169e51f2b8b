"""The HTTP limits: every bound on what a request may send, in one place.

Read from the ``http`` section of envoxy.json; each value is checked at boot
(``HttpLimits.from_config`` raises ``ConfigError`` naming the key), so a limit
is either honoured or the service does not start. docs/SECURITY.md lists them
with their defaults and what happens at each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from envoxy.exceptions import ConfigError

__all__ = ["HttpLimits"]

MIB = 1024 * 1024


@dataclass(frozen=True)
class HttpLimits:
    """Bounds on one request (``http.<name>`` in envoxy.json)."""

    #: a larger body is a 413 (read and dropped up to 4x this, so the client
    #: sees the answer instead of a reset, then the connection is closed)
    max_body_bytes: int = 16 * MIB
    #: the whole body must arrive within this many seconds, else 408
    body_timeout: float = 30.0
    #: a body still arriving after this long is slow: it needs one of the
    #: worker's ``slow_body_slots`` to go on, else 503 at once
    slow_body_after: float = 0.1
    #: slow bodies read at once per worker; ``None``: the worker's threads
    #: minus one, so one thread always serves everything else
    slow_body_slots: int | None = None
    #: JSON bodies nested deeper than this are a 400
    max_json_depth: int = 64

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> HttpLimits:
        """The limits of the ``http`` section (its other keys are not limits)."""
        values: dict[str, Any] = {}
        for field in fields(cls):
            if not section or section.get(field.name) is None:
                continue
            raw = section[field.name]
            key = f"http.{field.name}"
            bad = ConfigError(f"config: key {key!r}: expected a number, got {raw!r}")
            if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
                raise bad
            try:
                number = float(raw)
            except ValueError:
                raise bad from None
            integral = field.type in ("int", "int | None")
            if number <= 0 or (integral and number != int(number)):
                kind = "a positive integer" if integral else "a positive number"
                raise ConfigError(f"config: key {key!r}: expected {kind}, got {raw!r}")
            values[field.name] = int(number) if integral else number
        return cls(**values)

    def slots_for(self, threads: int) -> int:
        """Slow-body slots of a worker with ``threads`` threads (at least 1)."""
        if self.slow_body_slots is not None:
            return self.slow_body_slots
        return max(1, threads - 1)
