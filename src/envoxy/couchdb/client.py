"""The CouchDB client behind ``couchdbc``: Mango ``find``, ``get`` and ``post``.

``db`` is ``"<server_key>.<database>"``; the server's ``bind`` is its base URL
(credentials in it become a Basic auth header and never appear in messages).
Every request has a connect timeout (``connect_timeout``, or ``timeout`` as
for PostgreSQL; 3 s) and a read timeout (``socket_timeout``; 10 s), and on
connection errors and 5xx answers is retried ``retries`` times (2) with
doubling pauses from ``backoff_ms`` (200): the keys and meanings of every
connector (envoxy.utils.retry); then ``CouchDBUnavailable``.
"""

from __future__ import annotations

import threading
from base64 import b64encode
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import orjson
import urllib3

from envoxy.couchdb.mango import build_query
from envoxy.exceptions import DatabaseException
from envoxy.utils.encoders import envoxy_json_dumps
from envoxy.utils.retry import Retryable, RetryPolicy
from envoxy.utils.singleton import Singleton

__all__ = ["Client", "CouchDBUnavailable"]

RETRIES = 2
BACKOFF_MS = 200
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 10.0


class CouchDBUnavailable(DatabaseException):
    """CouchDB did not answer (after the bounded retries)."""


class _Server:
    def __init__(self, key: str, conf: Mapping[str, Any]) -> None:
        bind = conf.get("bind")
        if not bind:
            raise DatabaseException(
                f"couchdb_servers.{key} lacks bind (http://user:pass@host:port)"
            )
        parts = urlsplit(str(bind))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DatabaseException(
                f"couchdb_servers.{key}.bind must be an http(s) URL"
            )
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        self.key = key
        self.base = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
        self.headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        if parts.username:
            user, password = unquote(parts.username), unquote(parts.password or "")
            token = b64encode(f"{user}:{password}".encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"
        self.retry = RetryPolicy.from_conf(
            f"couchdb_servers.{key}", conf, RETRIES, BACKOFF_MS
        )
        self.timeout = urllib3.Timeout(
            connect=float(
                conf.get("connect_timeout", conf.get("timeout", CONNECT_TIMEOUT))
            ),
            read=float(conf.get("socket_timeout", READ_TIMEOUT)),
        )


def server_of(key: str, conf: Mapping[str, Any]) -> _Server:
    """One ``couchdb_servers`` entry, checked (``DatabaseException`` naming it)."""
    try:
        return _Server(key, conf)
    except (TypeError, ValueError) as exc:
        raise DatabaseException(f"couchdb_servers.{key}: {exc}") from None


class Client(Singleton):
    """CouchDB servers by key over one thread-safe urllib3 pool manager."""

    def __init__(self, server_conf: Mapping[str, Any] | None = None) -> None:
        if server_conf is None:
            from envoxy.utils.config import Config

            server_conf = Config.get("couchdb_servers") or {}
        self._servers = {
            k: _Server(k, v) for k, v in server_conf.items() if isinstance(v, Mapping)
        }
        self._http = urllib3.PoolManager(retries=False, maxsize=10)
        self._lock = threading.Lock()

    def _locate(self, db: str | None) -> tuple[_Server, str]:
        if not db or not isinstance(db, str) or "." not in db:
            raise DatabaseException(f"db must be '<server_key>.<database>', got {db!r}")
        key, _, database = db.partition(".")
        server = self._servers.get(key)
        if server is None:
            raise DatabaseException(
                f"No configuration found for couchdb server key: {key}"
            )
        if not database:
            raise DatabaseException(f"db {db!r} names no database")
        return server, f"{server.base}/{quote(database, safe='')}"

    def request(
        self, server: _Server, method: str, url: str, body: Any = None
    ) -> tuple[int, Any]:
        """(status, decoded JSON body); bounded retries on connection errors, 5xx."""
        payload = None if body is None else envoxy_json_dumps(body)

        def attempt() -> tuple[int, Any]:
            try:
                response = self._http.request(
                    method,
                    url,
                    body=payload,
                    headers=server.headers,
                    timeout=server.timeout,
                )
            except urllib3.exceptions.HTTPError as exc:
                raise Retryable(type(exc).__name__) from exc
            if response.status >= 500:
                raise Retryable(f"HTTP {response.status}")
            return response.status, _decode(response.data)

        try:
            return server.retry.run(attempt, retry_on=Retryable, where=server.key)
        except Retryable as last:
            raise CouchDBUnavailable(
                f"CouchDB server {server.key!r} ({server.base}) did not answer "
                f"{method} after {server.retry.retries + 1} attempts: {last}"
            ) from None

    def find(
        self,
        db: str | None = None,
        fields: list[str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Documents matching ``params`` (``field__op`` filters, paging, ordering)."""
        server, url = self._locate(db)
        query = build_query(params, fields)
        status, body = self.request(server, "POST", f"{url}/_find", query)
        if status != 200 or not isinstance(body, dict) or "docs" not in body:
            raise _failure("find", db, status, body)
        return list(body["docs"])

    def get(self, id: str, db: str | None = None) -> dict[str, Any]:
        """The document, or ``{}`` when it does not exist."""
        server, url = self._locate(db)
        if not isinstance(id, str) or not id:
            raise DatabaseException("a document id must be a non-empty string")
        status, body = self.request(server, "GET", f"{url}/{quote(id, safe='')}")
        if status == 404:
            return {}
        if status != 200 or not isinstance(body, dict):
            raise _failure("get", db, status, body)
        return body

    def post(self, db: str | None = None, payload: Any = None) -> Any:
        """Create a document (``{"docs": [...]}``: a bulk write); CouchDB's answer."""
        server, url = self._locate(db)
        if not isinstance(payload, Mapping):
            raise DatabaseException("payload must be a JSON object")
        bulk = isinstance(payload.get("docs"), list)
        status, body = self.request(
            server, "POST", f"{url}/_bulk_docs" if bulk else url, dict(payload)
        )
        if status not in (200, 201, 202):
            raise _failure("post", db, status, body)
        return body

    def close(self) -> None:
        self._http.clear()


def _decode(data: bytes) -> Any:
    try:
        return orjson.loads(data) if data else None
    except orjson.JSONDecodeError:
        return {
            "error": "invalid_json",
            "reason": data[:200].decode("utf-8", "replace"),
        }


def _failure(action: str, db: str | None, status: int, body: Any) -> DatabaseException:
    detail = (
        body
        if not isinstance(body, dict)
        else f"{body.get('error')}: {body.get('reason')}"
    )
    return DatabaseException(
        f"CouchDB {action} on {db!r} failed: HTTP {status} {detail}"
    )
