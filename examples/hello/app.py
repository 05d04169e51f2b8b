"""A small envoxy service: JSON views, validation and errors over plain WSGI.

Run it with ``make run`` (or ``python examples/hello/app.py --port 8080``). It
uses only what envoxy has today (Config, Log, asserts, Response); envoxyd and
``@on`` views replace the hand-written routing below when they land.
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from envoxy import Config, Response, ValidationException, envoxy_json_loads, log
from envoxy.asserts import (
    assertz_integer,
    assertz_mandatory,
    assertz_string,
    assertz_utf8,
)

HERE = Path(__file__).resolve().parent
Environ = dict[str, Any]
MAX_BODY = 64 * 1024

_greetings: list[dict[str, Any]] = []
_lock = threading.Lock()


def _json_body(environ: Environ) -> Any:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length > MAX_BODY:
        raise ValidationException("Request body too large", code=1413, status=413)
    try:
        return envoxy_json_loads(environ["wsgi.input"].read(length) or b"null")
    except ValueError:
        raise ValidationException(
            "Request body is not valid JSON", code=1400, status=400
        ) from None


def health(environ: Environ) -> Response:
    return Response({"status": "healthy", "service": "envoxy"})


def list_greetings(environ: Environ) -> Response:
    with _lock:
        return Response(list(_greetings))


def create_greeting(environ: Environ) -> Response:
    settings = Config.get("greetings")
    body = _json_body(environ)
    assertz_mandatory(body, "name")
    assertz_string(body, "name")
    assertz_utf8(body, "name")
    times = body.get("times", 1)
    assertz_integer(times)
    if not 1 <= times <= settings.get("max_times", 5):
        raise ValidationException(
            f"times must be 1..{settings.get('max_times', 5)}", code=1203, status=422
        )
    greeting = {
        "id": str(uuid.uuid4()),
        "text": " ".join([f"Hello, {body['name']}!"] * times),
        "created": dt.datetime.now(dt.UTC),
    }
    with _lock:
        _greetings.append(greeting)
    return Response({"payload": greeting, "status": 201})


ROUTES: dict[str, dict[str, Callable[[Environ], Response]]] = {
    "/_health": {"GET": health},
    "/v3/greetings": {"GET": list_greetings, "POST": create_greeting},
}


def _error(status: int, code: int, message: str) -> Response:
    ref = uuid.uuid4()
    return Response(
        {
            "payload": {"code": code, "error": f"{message} :: ELRC({ref})"},
            "status": status,
            "headers": {"X-Error": str(code)},
        }
    )


def dispatch(environ: Environ) -> Response:
    methods = ROUTES.get(environ.get("PATH_INFO", ""))
    if methods is None:
        return _error(404, 404, "Not Found")
    view = methods.get(environ["REQUEST_METHOD"])
    if view is None:
        return _error(405, 405, "Method Not Allowed")
    try:
        return view(environ)
    except ValidationException as exc:
        return _error(int(exc.status), int(exc.code or 0), str(exc))
    except Exception:
        log.error(f"unhandled error: {traceback.format_exc()}")
        return _error(500, 0, "Internal Server Error")


def application(
    environ: Environ, start_response: Callable[..., Any]
) -> Iterable[bytes]:
    started = time.perf_counter()
    response = dispatch(environ)
    elapsed_ms = (time.perf_counter() - started) * 1000
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
    log.info(f"{method} {path} {response.status_code} {elapsed_ms:.2f}ms")
    return response(environ, start_response)


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Requests are logged by ``application`` as JSON lines instead."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--conf", default=str(HERE / "envoxy.json"))
    args = parser.parse_args(argv)
    Config.configure(args.conf)
    server = make_server(
        args.host,
        args.port,
        application,
        server_class=_Server,
        handler_class=_QuietHandler,
    )
    signal.signal(
        signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start()
    )
    log.system(f"hello service listening on http://{args.host}:{server.server_port}/")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
