"""One HTTP request through the WSGI application, in process: envoxy's app vs
Flask's vs a bare callable, the same JSON view as benchmarks/http_load.py.

This is the application's share of a request under load (the server's share
is the same for all three); the load test needs wrk and minutes, this runs in
the gate on every `make test`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any

import flask
import pytest

from benchmarks.http_load import BODY
from envoxy import View, on
from envoxy.http.app import EnvoxyApp
from envoxy.utils.encoders import envoxy_json_dumps

PATH = "/v3/cards/7"
ENVIRON = {
    "REQUEST_METHOD": "GET",
    "PATH_INFO": PATH,
    "QUERY_STRING": "",
    "SERVER_NAME": "127.0.0.1",
    "SERVER_PORT": "8080",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "HTTP_HOST": "127.0.0.1:8080",
    "HTTP_USER_AGENT": "wrk",
    "REMOTE_ADDR": "127.0.0.1",
    "wsgi.url_scheme": "http",
    "wsgi.version": (1, 0),
    "wsgi.multithread": False,
    "wsgi.multiprocess": True,
    "wsgi.run_once": False,
}


@on(endpoint="/v3/cards/{card_id:int}", protocols=["http"])
class Card(View):
    def get(self, request: Any, card_id: int, **kwargs: Any) -> Any:
        return {**BODY, "id": card_id}


def _other_views(count: int) -> list[Any]:
    """Routes a real service has besides the one asked for."""
    views = []
    for number in range(count):
        endpoint = f"/v3/things{number}/{{thing_id:int}}/parts"
        kind = type(f"Thing{number}", (View,), {"get": lambda self, r, **kw: {}})
        views.append(on(endpoint=endpoint, protocols=["http"])(kind)())
    return views


def _flask_app() -> flask.Flask:
    app = flask.Flask(__name__)

    @app.get("/v3/cards/<int:card_id>")
    def card(card_id: int) -> Any:
        return flask.jsonify({**BODY, "id": card_id})

    return app


BARE_BODY = envoxy_json_dumps(BODY)
BARE_HEADERS = [
    ("Content-Type", "application/json"),
    ("Content-Length", str(len(BARE_BODY))),
]


def _bare(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", BARE_HEADERS)
    return [BARE_BODY]


APPS: dict[str, Callable[..., Iterable[bytes]]] = {
    "envoxy": EnvoxyApp([Card(), *_other_views(100)]),
    "flask": _flask_app(),
    "bare": _bare,
}


def _ignore(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    del status, headers, exc_info


@pytest.mark.parametrize("impl", list(APPS))
def test_http_request(benchmark: Any, impl: str) -> None:
    benchmark.group = "http-request"
    app = APPS[impl]

    def one_request() -> bytes:
        environ = {**ENVIRON, "wsgi.input": io.BytesIO(), "wsgi.errors": io.StringIO()}
        body = app(environ, _ignore)
        data = b"".join(body)
        close = getattr(body, "close", None)
        if close is not None:
            close()
        return data

    reply = json.loads(benchmark(one_request))
    assert reply["name"] == "card" and reply["id"] == (42 if impl == "bare" else 7)
