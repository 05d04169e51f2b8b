"""Request bodies, read once and bounded before the view runs.

``read_body(environ, reader)`` reads a ``Content-Length`` or chunked body into
memory and puts it back as ``wsgi.input`` (with its length), so Werkzeug and
the view see an ordinary, complete body. Every bound is ``HttpLimits``'s:
too large -> 413 (the rest of a not-too-large excess is read and dropped so the
client gets the answer, not a reset), slower than ``slow_body_after`` without
a free slow-body slot -> 503, not complete within ``body_timeout`` -> 408, a
malformed length or a client gone mid-body -> 400. Each of those answers
closes the connection. Under uWSGI the reads are watched (envoxy.http.
body_watch); elsewhere (tests, a development server) they are plain reads.

JSON bodies: ``loads`` parses with the standard library, as Werkzeug does, and
refuses nesting deeper than ``max_json_depth`` (a ``ValueError``: Werkzeug
answers 400), so no request can make the parser or the code after it recurse
past Python's limit.
"""

from __future__ import annotations

import io
import json
import threading
from typing import Any

from envoxy.http import body_watch
from envoxy.http.body_watch import BUSY, TIMED_OUT
from envoxy.http.limits import HttpLimits

__all__ = ["BodyError", "BodyReader", "JsonWithDepthLimit"]

_CHUNK = 1024 * 1024
_DRAIN_FACTOR = 4


class BodyError(Exception):
    """A body that cannot be taken: answered with ``status`` and ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _uwsgi() -> Any:
    import uwsgi  # type: ignore[import-not-found]

    return uwsgi


def _threads() -> int:
    try:
        value = _uwsgi().opt.get("threads", 1)
    except ImportError:
        return 1
    if isinstance(value, list):
        value = value[-1]
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


class BodyReader:
    """Reads bodies for one app within ``limits``; one slow-body semaphore per
    process (a uWSGI worker)."""

    def __init__(self, limits: HttpLimits) -> None:
        self.limits = limits
        self._slots: threading.BoundedSemaphore | None = None

    def slots(self) -> threading.BoundedSemaphore:
        # made on first use, in the worker: the thread count is uWSGI's
        if self._slots is None:
            self._slots = threading.BoundedSemaphore(self.limits.slots_for(_threads()))
        return self._slots

    def read(self, environ: dict[str, Any]) -> None:
        """Buffer the body of ``environ``, if it has one; ``BodyError`` otherwise."""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        declared: str = environ.get("CONTENT_LENGTH") or ""
        if not chunked and not declared:
            return
        limits = self.limits
        length = -1
        if not chunked:
            if not (declared.isascii() and declared.isdigit()):
                raise BodyError(400, f"Invalid Content-Length: {declared[:40]!r}")
            length = int(declared)
            if length == 0:
                return
        under_uwsgi = "uwsgi.version" in environ
        if length > limits.max_body_bytes:
            if under_uwsgi and length <= _DRAIN_FACTOR * limits.max_body_bytes:
                self._watched(environ, lambda: _drain(environ, length))
            raise BodyError(
                413, f"Request body over {limits.max_body_bytes} bytes: {length}"
            )
        if under_uwsgi:
            reader = _chunked_uwsgi if chunked else _sized
            data = self._watched(environ, lambda: reader(environ, length, limits))
        else:
            data = _unwatched(environ, length, limits)
        environ["wsgi.input"] = io.BytesIO(data)
        environ["CONTENT_LENGTH"] = str(len(data))
        environ["wsgi.input_terminated"] = True
        environ.pop("HTTP_TRANSFER_ENCODING", None)

    def _watched(self, environ: dict[str, Any], read: Any) -> Any:
        limits = self.limits
        ticket = body_watch.watch(
            _uwsgi().connection_fd(),
            limits.slow_body_after,
            limits.body_timeout,
            self.slots(),
        )
        try:
            return read()
        except OSError:
            if ticket.cut == BUSY:
                raise BodyError(
                    503, "Busy: too many slow request bodies, retry later"
                ) from None
            if ticket.cut == TIMED_OUT:
                raise BodyError(
                    408, f"Request body not received within {limits.body_timeout} s"
                ) from None
            raise BodyError(400, "Request body cut short by the client") from None
        finally:
            body_watch.finish(ticket)


def _sized(environ: dict[str, Any], length: int, limits: HttpLimits) -> bytes:
    data = environ["wsgi.input"].read(length)
    if len(data) != length:
        raise OSError("short body")
    return bytes(data)


def _chunked_uwsgi(environ: dict[str, Any], length: int, limits: HttpLimits) -> bytes:
    uwsgi = _uwsgi()
    parts: list[bytes] = []
    total = 0
    per_chunk = max(1, int(limits.body_timeout))
    while chunk := uwsgi.chunked_read(per_chunk):
        total += len(chunk)
        if total > limits.max_body_bytes:
            raise BodyError(413, f"Request body over {limits.max_body_bytes} bytes")
        parts.append(chunk)
    return b"".join(parts)


def _drain(environ: dict[str, Any], length: int) -> None:
    stream = environ["wsgi.input"]
    left = length
    while left > 0:
        got = len(stream.read(min(left, _CHUNK)))
        if not got:
            raise OSError("client closed")
        left -= got


def _unwatched(environ: dict[str, Any], length: int, limits: HttpLimits) -> bytes:
    """Outside uWSGI: a sized read, or (chunked) the server's terminated stream."""
    stream = environ["wsgi.input"]
    if length < 0:
        if not environ.get("wsgi.input_terminated"):
            raise BodyError(411, "Chunked request bodies need Content-Length here")
        data = stream.read(limits.max_body_bytes + 1)
        if len(data) > limits.max_body_bytes:
            raise BodyError(413, f"Request body over {limits.max_body_bytes} bytes")
        return bytes(data)
    data = stream.read(length)
    if len(data) != length:
        raise BodyError(400, "Request body cut short by the client")
    return bytes(data)


class JsonWithDepthLimit:
    """What ``Request.json_module`` needs (``loads``, ``dumps``), the standard
    library's parser with a nesting limit."""

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth

    def loads(self, data: str | bytes, **kwargs: Any) -> Any:
        try:
            value = json.loads(data, **kwargs)
        except RecursionError:
            raise ValueError(
                f"JSON nested deeper than {self.max_depth} levels"
            ) from None
        raw = data.encode() if isinstance(data, str) else data
        # PERF: a body with fewer brackets than the limit cannot exceed it
        deep = raw.count(b"[") + raw.count(b"{") > self.max_depth
        if deep and isinstance(value, (dict, list)):
            self._check_depth(value)
        return value

    def _check_depth(self, value: Any) -> None:
        stack = [(value, 1)]
        while stack:
            node, depth = stack.pop()
            if depth > self.max_depth:
                raise ValueError(f"JSON nested deeper than {self.max_depth} levels")
            children = node.values() if isinstance(node, dict) else node
            stack.extend(
                (child, depth + 1)
                for child in children
                if isinstance(child, (dict, list))
            )

    @staticmethod
    def dumps(obj: Any, **kwargs: Any) -> str:
        return json.dumps(obj, **kwargs)
