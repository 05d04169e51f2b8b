"""A Response for a mixed page: envoxy's vs a Flask Response built the same way."""

from __future__ import annotations

from email.utils import formatdate
from typing import Any

import flask
import pytest

from benchmarks.payloads import mixed_records, straightforward_dumps
from envoxy.utils.encoders import envoxy_json_dumps
from envoxy.views.containers import Response

RECORDS = mixed_records()
ENVELOPE = {"payload": RECORDS, "status": 200, "headers": {"X-Request-Id": "bench"}}


def _flask(dumps: Any) -> flask.Response:
    body = dumps({"elements": RECORDS, "size": len(RECORDS)})
    resp = flask.Response(body, status=200, mimetype="application/json")
    resp.headers.add_header("X-Request-Id", "bench")
    resp.headers.add_header("Server", "Envoxy Server")
    resp.headers.add_header("Date", formatdate(usegmt=True))
    return resp


BUILDERS = {
    "envoxy": lambda: Response(ENVELOPE),
    # upstream's way: a Flask response, body by orjson with a Python default hook
    "flask": lambda: _flask(straightforward_dumps),
    # informational: Flask with envoxy's compiled encoder (isolates the container)
    "flask-envoxy-encoder": lambda: _flask(envoxy_json_dumps),
}


@pytest.mark.parametrize("impl", list(BUILDERS))
def test_response_mixed(benchmark: Any, impl: str) -> None:
    benchmark.group = "response-mixed"
    resp = benchmark(BUILDERS[impl])
    assert resp.status_code == 200
    assert resp.get_json()["size"] == len(RECORDS)
