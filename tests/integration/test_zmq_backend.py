"""default_zmq_backend (issue 14.2): a real envoxyd proxies what no view
takes to a real ZeroMQ backend, as upstream's catch-all route did."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zmq

from envoxy.constants import Performative
from tests.daemon import Daemon, free_port

pytestmark = pytest.mark.integration

VIEWS = """
from envoxy import View, on


@on(endpoint="/v3/local", protocols=["http"])
class Local(View):
    def get(self, request, **kwargs):
        return {"served": "by a view"}


__loader__ = [Local]
"""


class Backend:
    """A Zapata data layer: answers each request with what it received."""

    def __init__(self) -> None:
        self.port = free_port()
        self.context = zmq.Context()
        self.socket = self.context.socket(zmq.REP)
        self.socket.bind(f"tcp://127.0.0.1:{self.port}")
        self.socket.setsockopt(zmq.RCVTIMEO, 200)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                # zmqc frames a request as [b"", body], as upstream servers expect
                request = json.loads(self.socket.recv_multipart()[-1])
            except zmq.Again:
                continue
            status = 404 if request["resource"].endswith("/missing") else 201
            reply = {
                "status": status,
                "resource": request["resource"],
                "performative": request["performative"],
                "headers": {**request.get("headers", {}), "X-Backend": "zapata"},
                "payload": {"got": request}
                if status != 404
                else {"text": "gone", "code": 44},
            }
            self.socket.send_multipart([b"", json.dumps(reply).encode()])

    def close(self) -> None:
        self.running = False
        self.thread.join(5)
        self.socket.close(linger=0)
        self.context.term()


@pytest.fixture
def backend() -> Iterator[Backend]:
    found = Backend()
    yield found
    found.close()


def test_the_catch_all_route_proxies_to_zeromq(
    tmp_path: Path, backend: Backend
) -> None:
    conf = {
        "zmq_servers": {"platform": {"host": "127.0.0.1", "port": backend.port}},
        "default_zmq_backend": {"enabled": True, "path_prefix": "/v3/"},
    }
    daemon = Daemon(tmp_path, conf, VIEWS).start()
    try:
        assert daemon.get("/v3/local")[2] == {"served": "by a view"}  # views first
        status, headers, body = daemon.request(
            "POST",
            "/v3/cards/c1?q=2&q=3&page=1",
            json.dumps({"name": "x"}).encode(),
            headers={"Content-Type": "application/json", "X-Trace": "t-1"},
        )
        assert status == 201
        assert headers["X-Backend"] == "zapata"
        got: dict[str, Any] = body["got"]
        assert got["resource"] == "/v3/cards/c1"
        assert got["performative"] == int(Performative.POST)
        assert got["params"] == {"q": ["2", "3"], "page": ["1"]}
        assert got["payload"] == {"name": "x"}
        assert got["headers"]["X-Trace"] == "t-1"
        status, _, body = daemon.get("/v3/cards/missing")
        assert status == 404 and body["code"] == 44
        assert daemon.get("/elsewhere")[0] == 404  # outside path_prefix
    finally:
        assert daemon.stop() == 0


@pytest.mark.parametrize(
    ("conf", "named"),
    [
        ({"default_zmq_backend": {"enabled": True}}, "no zmq_servers entry"),
        (
            {
                "zmq_servers": {"a": {"host": "127.0.0.1", "port": 1}},
                "default_zmq_backend": {"enabled": True, "server_key": "b"},
            },
            "default_zmq_backend.server_key",
        ),
        (
            {
                "zmq_servers": {"a": {"host": "127.0.0.1", "port": 1}},
                "default_zmq_backend": {"enabled": True, "path_prefix": "v3"},
            },
            "default_zmq_backend.path_prefix",
        ),
        ({"enable_cors": {"origins": [1]}}, "enable_cors.origins"),
    ],
)
def test_a_bad_section_stops_the_boot(tmp_path: Path, conf: Any, named: str) -> None:
    daemon = Daemon(tmp_path, conf, VIEWS)
    done = subprocess.run(
        daemon.command(), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], lines
