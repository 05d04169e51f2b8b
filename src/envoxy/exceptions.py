"""Exceptions a service sees from envoxy."""

from __future__ import annotations

from typing import Any

__all__ = [
    "ConfigError",
    "DatabaseException",
    "EnvoxyException",
    "ValidationException",
]


class EnvoxyException(Exception):
    """Base of envoxy's own errors."""


class ValidationException(EnvoxyException):
    """Bad input: carries the error ``code`` and HTTP ``status`` the client gets.

    Same constructor as upstream: ``ValidationException(msg, code=..., status=...)``;
    ``str(e)`` is the message, ``e.kwargs`` holds ``code``/``status``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args)
        self.args = args
        self.kwargs = kwargs

    @property
    def code(self) -> Any:
        return self.kwargs.get("code", 0)

    @property
    def status(self) -> Any:
        return self.kwargs.get("status", 412)


class _Redacted(EnvoxyException):
    """Messages that may echo a configured value: credentials are masked
    (envoxy.utils.redact), so printing or logging one never leaks them."""

    def __init__(self, message: Any = "", *args: Any) -> None:
        from envoxy.utils.redact import redact

        super().__init__(redact(str(message)), *args)


class DatabaseException(_Redacted):
    """A database connector could not do what was asked (bad key, pool timeout...)."""


class ConfigError(_Redacted, ValueError):
    """envoxy.json or an override is unreadable or has a bad value (names the key)."""
