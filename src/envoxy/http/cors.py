"""CORS for HTTP views: ``enable_cors`` in envoxy.json.

``"enable_cors": true`` is upstream's policy (Flask-CORS with credentials):
any origin, echoed back (a credentialed answer may not say ``*``), with
``Access-Control-Allow-Credentials: true``. An object narrows it:
``{"origins": ["https://app.example"], "allow_headers": ["Authorization",
"Content-Type"], "expose_headers": ["X-Error"], "max_age": 600,
"credentials": true}``; ``origins`` may hold ``"*"`` for any.

A preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``)
from an allowed origin is answered 204 with the allowed methods and headers,
before any view; from another origin it gets no CORS headers (the browser
then refuses). Answers to allowed origins carry ``Access-Control-Allow-Origin``
and ``Vary: Origin``. Off (``false`` or absent) it costs one attribute test
per request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from envoxy.exceptions import ConfigError

__all__ = ["CorsPolicy"]

DEFAULT_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_KEYS = {"origins", "allow_headers", "expose_headers", "max_age", "credentials"}


def _strings(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            f"enable_cors.{name}: expected a list of strings, got {value!r}"
        )
    return tuple(value)


class CorsPolicy:
    """Which origins may call, and the headers their answers carry."""

    __slots__ = (
        "allow_headers",
        "any_origin",
        "credentials",
        "expose",
        "max_age",
        "origins",
    )

    def __init__(
        self,
        origins: Iterable[str] = ("*",),
        allow_headers: Iterable[str] = (),
        expose_headers: Iterable[str] = (),
        max_age: int | None = None,
        credentials: bool = True,
    ) -> None:
        self.origins = frozenset(origins)
        self.any_origin = "*" in self.origins
        self.allow_headers = ", ".join(allow_headers)
        self.expose = ", ".join(expose_headers)
        self.max_age = max_age
        self.credentials = credentials

    @classmethod
    def from_config(cls, value: Any) -> CorsPolicy | None:
        """The policy of ``enable_cors`` (``None``: off); ``ConfigError``
        naming the key for a bad value."""
        if value is None or value is False:
            return None
        if value is True:
            return cls()
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return cls() if value.lower() == "true" else None  # upstream templates
        if not isinstance(value, Mapping):
            raise ConfigError(
                f"enable_cors: expected true, false or an object, got {value!r}"
            )
        unknown = sorted(set(value) - _KEYS)
        if unknown:
            raise ConfigError(f"enable_cors: unknown key {unknown[0]!r}")
        max_age = value.get("max_age")
        if max_age is not None and (
            isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 0
        ):
            raise ConfigError(f"enable_cors.max_age: expected seconds, got {max_age!r}")
        credentials = value.get("credentials", True)
        if not isinstance(credentials, bool):
            raise ConfigError(
                f"enable_cors.credentials: expected true or false, got {credentials!r}"
            )
        return cls(
            _strings("origins", value.get("origins", ["*"])),
            _strings("allow_headers", value.get("allow_headers", [])),
            _strings("expose_headers", value.get("expose_headers", [])),
            max_age,
            credentials,
        )

    def allows(self, origin: str | None) -> bool:
        return bool(origin) and (self.any_origin or origin in self.origins)

    def _origin_headers(self, origin: str) -> list[tuple[str, str]]:
        if self.any_origin and not self.credentials:
            headers = [("Access-Control-Allow-Origin", "*")]
        else:
            headers = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
        if self.credentials:
            headers.append(("Access-Control-Allow-Credentials", "true"))
        return headers

    def preflight(
        self, origin: str, requested_headers: str | None
    ) -> list[tuple[str, str]]:
        """The headers of a 204 answer to an allowed preflight."""
        headers = self._origin_headers(origin)
        headers.append(("Access-Control-Allow-Methods", ", ".join(DEFAULT_METHODS)))
        allowed = self.allow_headers or requested_headers
        if allowed:
            headers.append(("Access-Control-Allow-Headers", allowed))
        if self.max_age is not None:
            headers.append(("Access-Control-Max-Age", str(self.max_age)))
        return headers

    def answer(self, origin: str) -> list[tuple[str, str]]:
        """The headers an ordinary answer to an allowed origin carries."""
        headers = self._origin_headers(origin)
        if self.expose:
            headers.append(("Access-Control-Expose-Headers", self.expose))
        return headers
