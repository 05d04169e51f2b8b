"""ClickHouse's HTTP interface over the real ClickHouse engine, for tests.

Debian 12's ``clickhouse-server`` (18.16) is too old for clickhouse-connect
(it rejects the client's first query: "Unknown identifier: readonly"), and no
newer server installs from the registries these machines reach. ``chdb`` (PyPI)
is ClickHouse itself built as a library, with no network listener: this file
serves the part of the HTTP protocol clickhouse-connect speaks in front of it.
The SQL, the settings (``readonly``, ``max_execution_time``...), the types
and the error codes are the engine's own.

Served: ``GET /ping``; ``GET`` and ``POST /`` with the query in the
``query`` parameter and/or the body (a text body is appended to the query, as
ClickHouse does for inline data); ``database``; ``param_<name>`` for
``{name:Type}`` placeholders; every other URL parameter as a query setting (a
GET is ``readonly=2`` unless it says otherwise, as in ClickHouse); basic auth
or ``X-ClickHouse-User``/``X-ClickHouse-Key`` against one user. Not served:
binary insert bodies (``client.insert`` in Native format), compression,
sessions (one engine session serves every request, one query at a time).

    python server.py [--host 127.0.0.1] [--port 8123] [--path DIR]
                     [--user default] [--password '']
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import signal
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from chdb.session import Session

MAX_BODY = 64 * 1024 * 1024
#: URL parameters that are protocol, not query settings
PROTOCOL_PARAMS = {
    "query",
    "database",
    "query_id",
    "session_id",
    "session_timeout",
    "session_check",
    "default_format",
    "user",
    "password",
    "compress",
    "decompress",
    "buffer_size",
    "wait_end_of_query",
    "quota_key",
    "client_protocol_version",
}
_SETTING_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FORMAT_AT_END = re.compile(r"\s+FORMAT\s+([A-Za-z0-9_]+)\s*;?\s*\Z", re.I)
#: where an INSERT takes its SETTINGS: after the table and its column list
_INSERT_HEAD = re.compile(
    r"^\s*INSERT\s+INTO\s+(?:TABLE\s+)?(?:FUNCTION\s+)?[\w.`\"]+(?:\s*\([^)]*\))?",
    re.I,
)
#: ClickHouse's HTTP statuses for the error codes clients act on
_STATUS = {60: 404, 62: 400, 81: 404, 159: 500, 164: 403, 192: 403, 516: 401}
_CODE = re.compile(r"Code:\s*(\d+)")


def with_settings(sql: str, settings: dict[str, str], fmt: str) -> str:
    """``sql`` with ``FORMAT fmt`` and its query-level ``SETTINGS`` (the engine
    takes them after FORMAT for any statement; an INSERT takes them before its
    data, since a VALUES list or inline rows end the statement)."""
    clause = ", ".join(f"{k}={_literal(v)}" for k, v in settings.items())
    head = _INSERT_HEAD.match(sql)
    if head is not None:
        if not clause:
            return sql
        return f"{sql[: head.end()]} SETTINGS {clause}{sql[head.end() :]}"
    sql = f"{sql.rstrip().rstrip(';')}\nFORMAT {fmt}"
    return f"{sql} SETTINGS {clause}" if clause else sql


def _literal(value: str) -> str:
    if re.fullmatch(r"-?\d+(\.\d+)?", value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class Engine:
    """One chdb session; queries run one at a time (chdb's connection is not
    shared between threads)."""

    def __init__(self, path: str | None, user: str, password: str) -> None:
        self.session = Session(path) if path else Session()
        self.lock = threading.Lock()
        self.user = user
        self.password = password
        self.version = (
            self.execute("SELECT version()", None, "TSV", {}).decode().strip()
        )

    def execute(
        self, sql: str, database: str | None, fmt: str, params: dict[str, str]
    ) -> bytes:
        with self.lock:
            if database:
                self.session.query(f"USE `{database}`", "TSV")
            try:
                result = self.session.query(sql, fmt, params=params or None)
                return bytes(result.bytes())
            finally:
                if database:
                    self.session.query("USE default", "TSV")


class Handler(BaseHTTPRequestHandler):
    server_version = "ClickHouse-stand-in"
    protocol_version = "HTTP/1.1"
    engine: Engine

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test output is the log."""

    def do_GET(self) -> None:
        if urlsplit(self.path).path in ("/ping", "/ping/"):
            self._reply(200, b"Ok.\n", {"Content-Type": "text/plain; charset=UTF-8"})
            return
        self._query(b"", readonly_default=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._error(400, 0, f"body over {MAX_BODY} bytes")
            return
        self._query(self.rfile.read(length) if length else b"", readonly_default=False)

    def _authorised(self, params: dict[str, str]) -> bool:
        user = self.headers.get("X-ClickHouse-User") or params.get("user")
        password = self.headers.get("X-ClickHouse-Key") or params.get("password") or ""
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            decoded = base64.b64decode(auth[6:]).decode("utf-8", "replace")
            user, _, password = decoded.partition(":")
        engine = self.engine
        return (user or "default") == engine.user and password == engine.password

    def _query(self, body: bytes, readonly_default: bool) -> None:
        params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        if not self._authorised(params):
            self._error(
                401,
                516,
                "default: Authentication failed: password is incorrect, "
                "or there is no user with such name. (AUTHENTICATION_FAILED)",
            )
            return
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            self._error(400, 0, "text bodies only (no Native inserts)")
            return
        parts = (params.get("query", ""), text)
        sql = "\n".join(part for part in parts if part.strip())
        if not sql.strip():
            self._error(400, 62, "Empty query. (SYNTAX_ERROR)")
            return
        bound = {k[6:]: v for k, v in params.items() if k.startswith("param_")}
        settings = {
            k: v
            for k, v in params.items()
            if k not in PROTOCOL_PARAMS and not k.startswith("param_")
        }
        bad = [k for k in settings if not _SETTING_NAME.match(k)]
        database = params.get("database")
        if bad or (database and not _IDENTIFIER.match(database)):
            self._error(400, 115, f"Unknown setting or database: {bad or database}")
            return
        if readonly_default:
            settings.setdefault("readonly", "2")
        found = _FORMAT_AT_END.search(sql)
        fmt = found.group(1) if found else params.get("default_format", "TabSeparated")
        if found:
            sql = sql[: found.start()]
        query_id = params.get("query_id") or str(uuid.uuid4())
        try:
            data = self.engine.execute(
                with_settings(sql, settings, fmt), database, fmt, bound
            )
        except Exception as exc:  # the engine's error, to the client as ClickHouse does
            message = str(exc)
            found_code = _CODE.search(message)
            code = int(found_code.group(1)) if found_code else 1001
            self._error(_STATUS.get(code, 500), code, message, query_id)
            return
        self._reply(
            200,
            data,
            {
                "Content-Type": "application/octet-stream"
                if fmt in ("Native", "RowBinary", "Arrow", "Parquet")
                else "text/plain; charset=UTF-8",
                "X-ClickHouse-Format": fmt,
                "X-ClickHouse-Query-Id": query_id,
                "X-ClickHouse-Timezone": "UTC",
                "X-ClickHouse-Summary": json.dumps({"result_bytes": str(len(data))}),
            },
        )

    def _error(self, status: int, code: int, message: str, query_id: str = "") -> None:
        if not message.startswith("Code:"):
            message = f"Code: {code}. DB::Exception: {message}"
        headers = {
            "Content-Type": "text/plain; charset=UTF-8",
            "X-ClickHouse-Exception-Code": str(code),
        }
        if query_id:
            headers["X-ClickHouse-Query-Id"] = query_id
        self._reply(status, (message.rstrip() + "\n").encode(), headers)

    def _reply(self, status: int, data: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("X-ClickHouse-Server-Display-Name", "stand-in")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--path", default=None, help="data directory (else temporary)")
    parser.add_argument("--user", default="default")
    parser.add_argument("--password", default="")
    args = parser.parse_args()
    Handler.engine = Engine(args.path, args.user, args.password)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print(
        f"clickhouse stand-in (engine {Handler.engine.version}) on "
        f"http://{args.host}:{args.port}/",
        flush=True,
    )

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
