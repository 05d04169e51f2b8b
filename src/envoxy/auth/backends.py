"""Auth backends: a user plugin (upstream's contract) or the built-in JWT one.

Plugin: ``"plugins": {"auth": "/path/dir"}`` where ``dir/auth.py`` defines
``Auth`` with ``authenticate(request, topic, **kwargs)`` (and ``anonymous``),
returning a dict of extra view keyword arguments (or nothing) and raising to
deny. JWT: ``"auth": {"jwt": {"secret": "..." | "public_key": "PEM" |
"public_key_file": "path", "algorithms": ["HS256"], "audience": "...",
"issuer": "...", "roles_claim": "roles", "leeway": 0}}``: a bearer token is
required (401 when missing, malformed, expired, or for another audience or
issuer), its roles must include one of the route's (403 otherwise); the view
receives the claims as ``claims=``. No backend configured: routes that need
one fail the boot (``require_backend``), never serve unauthenticated.
"""

from __future__ import annotations

import functools
import importlib
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from envoxy.exceptions import ConfigError, ValidationException
from envoxy.views.headers import header_value

__all__ = [
    "AuthBackendMixin",
    "JwtBackend",
    "authenticate_container",
    "backend",
    "get_auth_module",
    "get_topic",
    "require_backend",
    "reset_backend",
]

#: the attribute ``@auth_required`` sets on what it wraps (the dispatch core
#: reads it at registration to require a backend)
AUTH_MARK = "__envoxy_auth__"

#: auth.jwt.max_token_bytes: a longer Authorization header is a 431
MAX_TOKEN_BYTES = 16 * 1024
_lock = threading.Lock()
_chosen: Any = None


@functools.lru_cache(maxsize=1024)
def get_topic(endpoint: str) -> str:
    """``/v3/cards/{id:int}`` -> ``/v3/cards/{id}`` (what plugins receive):
    the endpoint grammar's untyped form (envoxy.routing.grammar), remembered
    per endpoint; text the grammar refuses is passed on as it is."""
    if not endpoint:
        return ""
    from envoxy.routing.grammar import parse_endpoint, parse_topic

    parse = parse_endpoint if endpoint.startswith("/") else parse_topic
    try:
        return parse(endpoint).topic
    except ConfigError:
        return endpoint


def unauthorized(message: str) -> ValidationException:
    return ValidationException(message, code=401, status=401)


class JwtBackend:
    """Bearer JWTs checked with PyJWT (HS256/384/512, RS256/384/512, ES256...)."""

    def __init__(self, conf: Mapping[str, Any]) -> None:
        import jwt  # PyJWT, loaded only when JWT auth is configured

        self._jwt = jwt
        self.algorithms = list(conf.get("algorithms") or ["HS256"])
        key = conf.get("secret") or conf.get("public_key")
        if not key and conf.get("public_key_file"):
            key = Path(str(conf["public_key_file"])).read_text()
        if not key:
            raise ConfigError("auth.jwt: set secret, public_key or public_key_file")
        self._key = key
        self.audience = conf.get("audience")
        self.issuer = conf.get("issuer")
        self.roles_claim = str(conf.get("roles_claim", "roles"))
        self.leeway = float(conf.get("leeway", 0))
        try:
            self.max_token_bytes = int(conf.get("max_token_bytes", MAX_TOKEN_BYTES))
        except (TypeError, ValueError):
            self.max_token_bytes = 0
        if self.max_token_bytes < 1:
            raise ConfigError("auth.jwt.max_token_bytes: expected a positive integer")

    def claims(self, request: Any) -> dict[str, Any]:
        headers = getattr(request, "headers", None)
        header = header_value(headers, "Authorization") if headers is not None else None
        if not isinstance(header, str):  # absent, or not text (a Zapata header)
            raise unauthorized("Missing bearer token")
        if len(header) > self.max_token_bytes:
            raise ValidationException(
                f"Authorization header over {self.max_token_bytes} bytes",
                code=431,
                status=431,
            )
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("Missing bearer token")
        try:
            return self._jwt.decode(  # type: ignore[no-any-return]
                token.strip(),
                self._key,
                algorithms=self.algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp"]},
            )
        except self._jwt.ExpiredSignatureError:
            raise unauthorized("Token expired") from None
        except self._jwt.InvalidAudienceError:
            raise unauthorized("Token not meant for this service") from None
        except self._jwt.InvalidIssuerError:
            raise unauthorized("Token from an unknown issuer") from None
        except self._jwt.PyJWTError:
            raise unauthorized("Invalid token") from None

    def roles_of(self, claims: Mapping[str, Any]) -> set[str]:
        """The role names of ``claims``: a list of strings or one space-separated
        string; anything else (an object such as ``{"admin": false}``, numbers,
        nested lists) grants no role at all."""
        value = claims.get(self.roles_claim)
        if isinstance(value, str):
            return set(value.split())
        if isinstance(value, list):
            return {v for v in value if isinstance(v, str) and v}
        return set()

    def authenticate(
        self, request: Any, topic: str = "", **kwargs: Any
    ) -> dict[str, Any]:
        claims = self.claims(request)
        roles = kwargs.get("roles") or []
        if roles and not self.roles_of(claims) & set(roles):
            raise ValidationException("Forbidden: missing role", code=403, status=403)
        return {"claims": claims}

    def anonymous(self, request: Any, topic: str = "", **kwargs: Any) -> dict[str, Any]:
        """Claims when a valid token came, nothing when none did; a bad token
        is still refused."""
        headers = getattr(request, "headers", None)
        if headers is None or header_value(headers, "Authorization") is None:
            return {"claims": None}
        return {"claims": self.claims(request)}


def authenticate_container(credentials: Any) -> dict[str, Any]:
    """Upstream's path of the container credential exchange
    (envoxy.auth.credentials: bounded, ``CredentialsError`` on failure)."""
    # PERF(import): the exchange loads urllib3 (~100 ms cold), which `import
    # envoxy` must not pay
    from envoxy.auth.credentials import authenticate_container as exchange

    return exchange(credentials)


def get_auth_module(module_name: str | None = None) -> Any:
    """Upstream's loader: the ``auth`` plugin directory's ``Auth`` class (or the
    named module); ``None`` when no plugin is configured."""
    from envoxy.utils.config import Config

    plugins = Config.get("plugins") or {}
    folder = plugins.get("auth") if isinstance(plugins, Mapping) else None
    if not folder:
        return None
    folder = str(folder)
    if folder not in sys.path:
        sys.path.append(folder)
    if module_name:
        return importlib.import_module(module_name)
    try:
        return importlib.import_module("auth").Auth
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"plugins.auth: {folder}/auth.py with an Auth class: {exc}"
        ) from exc


def backend() -> Any:
    """The process's backend: the plugin's ``Auth()`` if configured, else JWT,
    else ``None``."""
    global _chosen
    with _lock:
        if _chosen is None:
            from envoxy.utils.config import Config

            plugin = get_auth_module()
            if plugin is not None:
                _chosen = plugin()
            else:
                conf = (Config.get("auth") or {}).get("jwt")
                _chosen = JwtBackend(conf) if conf else False
        return _chosen or None


def reset_backend() -> None:
    """Forget the chosen backend (tests, reconfiguration)."""
    global _chosen
    with _lock:
        _chosen = None


def require_backend(where: str) -> None:
    """Boot check for a route that needs auth: ``ConfigError`` without a backend."""
    if backend() is None:
        raise ConfigError(
            f"{where} uses @auth_required but no auth backend is configured: set "
            "auth.jwt in envoxy.json or plugins.auth to a folder with auth.py"
        )


def _through_backend(method: str, request: Any, kwargs: dict[str, Any]) -> Any:
    chosen = backend()
    if chosen is None:
        raise ConfigError("no auth backend is configured")
    topic = get_topic(kwargs.get("endpoint", ""))
    return getattr(chosen, method)(request, topic=topic, **kwargs)


class AuthBackendMixin:
    """Upstream's mixin: ``authenticate``/``anonymous`` through the backend."""

    def authenticate(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return _through_backend("authenticate", request, kwargs)

    def anonymous(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return _through_backend("anonymous", request, kwargs)

    @property
    def AuthorizationException(self) -> Any:
        return getattr(backend(), "exception", Exception)
