"""Typed errors of the Zapata codec and of ``zmqc``."""

from __future__ import annotations

from typing import Any

from envoxy.exceptions import EnvoxyException, ValidationException

__all__ = [
    "NoSocketException",
    "ZMQException",
    "ZapataEncodeError",
    "ZapataError",
]


class ZapataError(EnvoxyException, ValueError):
    """A frame that is not a Zapata envelope: bad JSON, wrong shape or types."""


class ZapataEncodeError(ZapataError, TypeError):
    """A request or reply holds a value JSON cannot carry (a set, bytes...)."""


class ZMQException(EnvoxyException):
    """Base of ``zmqc`` failures (upstream's name)."""


class NoSocketException(ZMQException, ValidationException):
    """The server gave no usable reply within the deadline: a 503 for callers.

    Upstream's name; a ``ValidationException`` with ``status=503`` so a view
    that lets it propagate answers like ``validate_response(None)`` would.
    """

    def __init__(self, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("code", 0)
        kwargs.setdefault("status", 503)
        super().__init__(message, **kwargs)
