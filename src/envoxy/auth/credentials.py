"""The container credential exchange: ``credentials`` in envoxy.json.

``{"credentials": {"server": "https://auth/...", "client_id": "...",
"client_secret": "...", "response_type": "client_credentials", "scope":
"container"}}``: when ``server`` is set, envoxyd asks it at boot (a GET with
those fields and ``state=active`` as the query, upstream's request) for the
container's credentials, and MQTT then logs in with the issued ``client_id``
as user name and ``access_token`` as password (``Config.get_credentials()``
gives what was issued). Never mandatory: without ``server`` nothing is asked.

Bounded, unlike upstream's (no timeout; the process exited with -10): a
connect timeout (``connect_timeout``, 3 s), a read timeout
(``socket_timeout``, 10 s), ``retries`` (2) with ``backoff_ms`` (200) on
connection errors and 5xx, a reply of at most 64 KiB that must be a JSON
object; anything else is a ``CredentialsError`` (a ``ConfigError``: envoxyd
exits 2 with one line). The secret and the token are never logged.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import orjson
import urllib3

from envoxy.exceptions import ConfigError
from envoxy.utils.redact import redact
from envoxy.utils.retry import Retryable, RetryPolicy

__all__ = [
    "CredentialsError",
    "authenticate_container",
    "exchange_once",
    "issued",
    "wanted",
]

FIELDS = ("client_id", "client_secret", "response_type", "scope")
MAX_REPLY_BYTES = 64 * 1024
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 10.0

_issued: dict[str, Any] | None = None
_lock = threading.Lock()


class CredentialsError(ConfigError):
    """The credential exchange could not give this container its credentials."""


def wanted(conf: Any) -> bool:
    """Whether ``credentials`` asks for an exchange (it names a ``server``)."""
    return isinstance(conf, Mapping) and bool(conf.get("server"))


def _request_fields(conf: Mapping[str, Any]) -> dict[str, str]:
    server = conf.get("server")
    parts = urlsplit(str(server))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CredentialsError(
            f"credentials.server: expected an http(s) URL, got {redact(str(server))!r}"
        )
    missing = [name for name in FIELDS if not conf.get(name)]
    if missing:
        raise CredentialsError(f"credentials lacks {', '.join(missing)}")
    return {**{name: str(conf[name]) for name in FIELDS}, "state": "active"}


def authenticate_container(credentials: Any) -> dict[str, Any]:
    """Upstream's ``authenticate``: the auth server's answer for this
    container (``{}`` when no server is configured)."""
    if not wanted(credentials):
        return {}
    fields = _request_fields(credentials)
    policy = RetryPolicy.from_conf("credentials", credentials, 2, 200)
    try:
        timeout = urllib3.Timeout(
            connect=float(credentials.get("connect_timeout", CONNECT_TIMEOUT_S)),
            read=float(credentials.get("socket_timeout", READ_TIMEOUT_S)),
        )
    except (TypeError, ValueError) as exc:
        raise CredentialsError(f"credentials: {exc}") from None
    server = str(credentials["server"])

    def attempt() -> tuple[int, bytes]:
        try:
            reply = urllib3.request(
                "GET",
                server,
                fields=fields,
                timeout=timeout,
                retries=False,
                preload_content=False,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise Retryable(type(exc).__name__) from exc
        try:
            body = reply.read(MAX_REPLY_BYTES + 1)
        finally:
            reply.release_conn()
        if reply.status >= 500:
            raise Retryable(f"HTTP {reply.status}")
        return reply.status, body

    where = redact(server)
    try:
        status, body = policy.run(attempt, retry_on=Retryable, where="credentials")
    except Retryable as failed:
        raise CredentialsError(
            f"credentials.server {where} did not answer after "
            f"{policy.retries + 1} attempts: {failed}"
        ) from None
    if status != 200:
        raise CredentialsError(f"credentials.server {where} answered HTTP {status}")
    if len(body) > MAX_REPLY_BYTES:
        raise CredentialsError(
            f"credentials.server {where}: the answer is over {MAX_REPLY_BYTES} bytes"
        )
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        answer = None
    if not isinstance(answer, dict):
        raise CredentialsError(
            f"credentials.server {where}: the answer is not a JSON object"
        )
    return answer


def exchange_once(conf: Any) -> dict[str, Any]:
    """The exchange, done once per process; what was issued."""
    global _issued
    with _lock:
        if _issued is None:
            _issued = authenticate_container(conf)
        return dict(_issued)


def issued() -> dict[str, Any] | None:
    """What the exchange issued in this process (``None``: it did not run)."""
    return None if _issued is None else dict(_issued)
