"""``Response``: what a view returns, and a WSGI application in its own right.

``Response(obj)`` follows upstream envoxy's payload rules (see
docs/COMPATIBILITY.md): a dict is an envelope whose ``payload``, ``status``,
``headers`` and ``cookies`` keys are honoured (a dict without ``payload`` is the
body itself); a list body becomes ``{"elements": [...], "size": n}``. Every
response carries ``Server: Envoxy Server`` and an RFC 7231 ``Date``.

No Flask or Werkzeug response object is built: the body is encoded once by the
compiled encoder and the headers are a plain list, ready for ``start_response``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from email.utils import formatdate
from http import HTTPStatus
from http.cookies import SimpleCookie
from typing import Any

from envoxy.constants import SERVER_NAME
from envoxy.utils.encoders import envoxy_json_dumps, envoxy_json_loads
from envoxy.views.headers import Headers, header_line

__all__ = ["Response", "envelope", "http_date", "status_number"]

StartResponse = Callable[..., Any]

# Headers a forwarded envelope must not impose: the body is re-encoded here, so
# its length and transfer framing are ours to state.
_FRAMING_HEADERS = frozenset(
    {"content-length", "transfer-encoding", "connection", "keep-alive"}
)

_STATUS_LINES: dict[int, str] = {
    s.value: f"{s.value} {s.phrase.upper()}" for s in HTTPStatus
}

_date_cache: list[Any] = [0, ""]
_CONTROL_IN_REASON = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def http_date(now: float | None = None) -> str:
    """RFC 7231 IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``), cached per second."""
    if now is not None:
        return formatdate(now, usegmt=True)
    second = int(time.time())
    # PERF(response-mixed): one formatdate per second, not per response.
    if _date_cache[0] != second:
        _date_cache[1] = formatdate(second, usegmt=True)
        _date_cache[0] = second
    return _date_cache[1]


def status_number(value: Any, default: int) -> int:
    """A status given as an int or a numeric string (``ValidationException``
    statuses, Zapata reply statuses), or ``default`` when it is neither."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def envelope(value: dict[str, Any]) -> tuple[int | None, Any, Any, Any]:
    """Upstream's reading of a dict a view returns: ``(status, headers,
    cookies, body)``. Its ``status`` (an int), ``headers`` and ``cookies`` keys
    are honoured; its ``payload`` key, when present, is the body (else the dict
    itself is). One reading for every transport: ``Response`` (HTTP) and the
    Zapata reply (envoxy.zeromq.routes) both use it."""
    status = value.get("status")
    body = value["payload"] if "payload" in value else value
    return (
        status if type(status) is int else None,
        value.get("headers"),
        value.get("cookies"),
        body,
    )


def _status_line(status: int | str) -> tuple[int, str]:
    if type(status) is int:
        line = _STATUS_LINES.get(status)
        if line is not None:
            return status, line
        if 100 <= status <= 999:
            return status, f"{status} UNKNOWN"
        raise ValueError(f"invalid HTTP status: {status!r}")
    text = str(status).strip()
    code_text, _, reason = text.partition(" ")
    if not (len(code_text) == 3 and code_text.isascii() and code_text.isdigit()):
        raise ValueError(f"invalid HTTP status: {status!r}")
    if not reason:
        return _status_line(int(code_text))
    if _CONTROL_IN_REASON.search(reason):  # CR/LF would start headers of its own
        raise ValueError(f"invalid HTTP status text: {status!r}")
    return int(code_text), text


class Response:
    """An HTTP response; call it as a WSGI app: ``resp(environ, start_response)``."""

    default_mimetype = "application/json"
    default_status = 200

    __slots__ = ("_body", "_headers", "status", "status_code")

    def __init__(
        self,
        response: Any = None,
        status: int | str | None = None,
        headers: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        mimetype: str | None = None,
        content_type: str | None = None,
    ) -> None:
        extra_headers: Any = None
        cookies: Any = None
        body: Any = response
        if type(response) is dict or isinstance(response, dict):
            envelope_status, extra_headers, cookies, body = envelope(response)
            if envelope_status is not None:
                status = envelope_status
            if body is not response and not isinstance(body, (dict, list, bytes)):
                body = envoxy_json_dumps(body) if body is not None else None
        if isinstance(body, list):
            body = envoxy_json_dumps({"elements": body, "size": len(body)})
        elif isinstance(body, dict):
            body = envoxy_json_dumps(body)
        elif body is None:
            body = b""
        elif isinstance(body, str):
            body = body.encode("utf-8")
        elif not isinstance(body, bytes):
            body = bytes(body)
        self._body: bytes = body

        self.status_code, self.status = _status_line(
            self.default_status if status is None else status
        )
        if content_type is None:
            content_type = mimetype or self.default_mimetype
            if content_type.startswith("text/") and "charset" not in content_type:
                content_type += "; charset=utf-8"
        if content_type is not self.default_mimetype:
            header_line("Content-Type", content_type)  # a caller's: checked
        pairs: list[tuple[str, str]] = [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
        ]
        if headers is not None:
            _merge(pairs, headers)
        if extra_headers:
            _merge(pairs, extra_headers)
        pairs.append(("Server", SERVER_NAME))
        pairs.append(("Date", http_date()))
        self._headers = pairs
        if cookies:
            for cookie in cookies:
                self.set_cookie(**cookie)

    # -- Werkzeug-style accessors existing views and tests use ------------------
    @property
    def headers(self) -> Headers:
        return Headers.wrap(self._headers)

    @property
    def data(self) -> bytes:
        return self._body

    @data.setter
    def data(self, value: bytes | str) -> None:
        self.set_data(value)

    def set_data(self, value: bytes | str) -> None:
        self._body = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        self.headers.set("Content-Length", len(self._body))

    def get_data(self, as_text: bool = False) -> bytes | str:
        return self._body.decode("utf-8") if as_text else self._body

    @property
    def mimetype(self) -> str:
        return self.content_type.split(";", 1)[0].strip()

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    @property
    def is_json(self) -> bool:
        mimetype = self.mimetype
        return mimetype == "application/json" or mimetype.endswith("+json")

    def get_json(self, silent: bool = False) -> Any:
        """The decoded JSON body; ``None`` when the body is not JSON."""
        if not self.is_json or not self._body:
            return None
        try:
            return envoxy_json_loads(self._body)
        except ValueError:
            if silent:
                return None
            raise

    @property
    def json(self) -> Any:
        return self.get_json()

    @property
    def response(self) -> list[bytes]:
        return [self._body]

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: int | None = None,
        expires: int | float | str | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
    ) -> None:
        """Add a ``Set-Cookie`` header (same keywords as Werkzeug's)."""
        jar: SimpleCookie = SimpleCookie()
        jar[key] = value
        morsel = jar[key]
        if max_age is not None:
            morsel["max-age"] = int(max_age)
        if expires is not None:
            morsel["expires"] = (
                expires if isinstance(expires, str) else http_date(float(expires))
            )
        if path is not None:
            morsel["path"] = path
        if domain is not None:
            morsel["domain"] = domain
        if secure:
            morsel["secure"] = True
        if httponly:
            morsel["httponly"] = True
        if samesite is not None:
            morsel["samesite"] = samesite
        self._headers.append(("Set-Cookie", morsel.OutputString()))

    def delete_cookie(
        self, key: str, path: str | None = "/", domain: str | None = None
    ) -> None:
        self.set_cookie(key, expires=0, max_age=0, path=path, domain=domain)

    @classmethod
    def force_type(cls, rv: Any, environ: Any = None) -> Response:
        """A view's return value (Response, dict, list, str, bytes) as a Response."""
        return rv if isinstance(rv, Response) else cls(rv)

    def __call__(
        self, environ: Mapping[str, Any], start_response: StartResponse
    ) -> list[bytes]:
        start_response(self.status, self._headers)
        if environ.get("REQUEST_METHOD") == "HEAD":
            return []
        return [self._body]

    def __repr__(self) -> str:
        return f"<Response {len(self._body)} bytes [{self.status}]>"


def _merge(pairs: list[tuple[str, str]], extra: Any) -> None:
    """Append ``extra``: a Content-Type replaces ours, framing headers are dropped."""
    items: Iterable[tuple[str, Any]] = (
        extra.items() if isinstance(extra, Mapping) else extra
    )
    for raw_name, value in items:
        name, text = header_line(raw_name, value)
        lowered = name.lower()
        if lowered in _FRAMING_HEADERS:
            continue
        if lowered == "content-type":
            pairs[0] = ("Content-Type", text)
        else:
            pairs.append((name, text))
