"""The container credential exchange (issue 14.4) against a real HTTP auth
server on loopback and a real envoxyd: asked once at boot, bounded, and MQTT
logs in with what it issued; a refusal stops the boot in one line."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from envoxy.auth.credentials import CredentialsError, authenticate_container
from tests.daemon import Daemon
from tests.private_broker import PrivateBroker, private_broker_fixture

pytestmark = pytest.mark.integration

private_broker = private_broker_fixture()

SECRET = "s3cret-client-secret"
TOKEN = "issued-access-token"


class AuthServer:
    """Answers each GET with ``replies`` in turn (the last one repeats)."""

    def __init__(self) -> None:
        self.replies: list[tuple[int, bytes]] = [
            (
                200,
                json.dumps({"client_id": "issued-id", "access_token": TOKEN}).encode(),
            )
        ]
        self.queries: list[dict[str, list[str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.queries.append(parse_qs(urlsplit(self.path).query))
                status, body = server.replies[
                    min(len(server.queries), len(server.replies)) - 1
                ]
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/oauth/token"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def conf(self, **extra: Any) -> dict[str, Any]:
        return {
            "server": self.url,
            "client_id": "container-1",
            "client_secret": SECRET,
            "response_type": "client_credentials",
            "scope": "container",
            **extra,
        }


@pytest.fixture
def auth() -> Iterator[AuthServer]:
    server = AuthServer()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def test_the_exchange_sends_upstreams_query(auth: AuthServer) -> None:
    assert authenticate_container(auth.conf()) == {
        "client_id": "issued-id",
        "access_token": TOKEN,
    }
    assert auth.queries == [
        {
            "client_id": ["container-1"],
            "client_secret": [SECRET],
            "response_type": ["client_credentials"],
            "scope": ["container"],
            "state": ["active"],
        }
    ]
    assert authenticate_container({"client_id": "x"}) == {}  # no server: not asked
    assert authenticate_container(None) == {}


def test_failures_are_bounded_and_typed(auth: AuthServer) -> None:
    auth.replies = [(503, b"{}"), (200, b'{"client_id": "a", "access_token": "b"}')]
    assert authenticate_container(auth.conf(backoff_ms=1))["client_id"] == "a"
    auth.queries.clear()
    auth.replies = [(503, b"{}")]
    with pytest.raises(CredentialsError, match="did not answer after 3 attempts"):
        authenticate_container(auth.conf(backoff_ms=1))
    assert len(auth.queries) == 3
    auth.replies = [(401, b'{"error": "denied"}')]
    with pytest.raises(CredentialsError, match="answered HTTP 401"):
        authenticate_container(auth.conf())
    auth.replies = [(200, b"[1, 2]")]
    with pytest.raises(CredentialsError, match="not a JSON object"):
        authenticate_container(auth.conf())
    auth.replies = [(200, b"{" + b" " * (70 * 1024) + b"}")]
    with pytest.raises(CredentialsError, match="over 65536 bytes"):
        authenticate_container(auth.conf())
    with pytest.raises(CredentialsError, match="lacks client_secret"):
        authenticate_container({**auth.conf(), "client_secret": ""})
    started = time.monotonic()
    with pytest.raises(CredentialsError, match="did not answer"):
        authenticate_container(
            {**auth.conf(backoff_ms=1), "server": "http://127.0.0.1:9/token"}
        )
    assert time.monotonic() - started < 30  # bounded, never a hang


MQTT_VIEWS = """
from envoxy import View, on


@on(endpoint="/v3/ping", protocols=["http"])
class Ping(View):
    def get(self, request, **kwargs):
        return {"pong": True}


__loader__ = [Ping]
"""


def test_mqtt_logs_in_with_the_issued_credentials(
    tmp_path: Path, auth: AuthServer, private_broker: PrivateBroker
) -> None:
    conf = {
        "credentials": auth.conf(),
        "mqtt_servers": {"events": {"bind": f"mqtt://127.0.0.1:{private_broker.port}"}},
    }
    daemon = Daemon(tmp_path, conf, MQTT_VIEWS).start()
    try:
        deadline = time.monotonic() + 20
        while "u'issued-id'" not in private_broker.log:
            assert time.monotonic() < deadline, private_broker.log[-2000:]
            time.sleep(0.1)
        assert daemon.get("/_health/ready")[0] == 200
    finally:
        assert daemon.stop() == 0
    text = daemon.log.read_text(errors="replace")
    assert SECRET not in text and TOKEN not in text


def test_a_refused_exchange_stops_the_boot(tmp_path: Path, auth: AuthServer) -> None:
    auth.replies = [(401, b'{"error": "denied"}')]
    daemon = Daemon(tmp_path, {"credentials": auth.conf()}, MQTT_VIEWS)
    done = subprocess.run(
        daemon.command(), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "credentials.server" in lines[0] and "401" in lines[0]
    assert SECRET not in done.stderr + done.stdout
