"""The README's run command: envoxyd serving examples/hello on embedded defaults
(SQLite, the in-process cache, no broker), talked to over HTTP."""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENVOXYD = shutil.which("envoxyd", path=str(Path(sys.executable).parent))


@pytest.fixture(scope="module")
def service_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The example copied to a temporary folder (its SQLite file lands there)."""
    assert ENVOXYD, "envoxyd is not installed (make install)"
    folder = tmp_path_factory.mktemp("hello")
    for name in ("envoxy.json", "views.py", "models.py"):
        shutil.copy(ROOT / "examples/hello" / name, folder / name)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = folder / "envoxyd.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [ENVOXYD, "--http", f"127.0.0.1:{port}", "--set", "conf=envoxy.json"],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, log.read_text()
        try:
            if request(f"{url}/_health")[0] == 200:
                break
        except OSError:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    yield url
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


def request(
    url: str, method: str = "GET", body: Any = None
) -> tuple[int, dict[str, str], Any]:
    data = (
        None
        if body is None
        else (body if isinstance(body, bytes) else json.dumps(body).encode())
    )
    headers = {"Content-Type": "application/json"} if data is not None else {}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
            return resp.status, dict(resp.headers), json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


def test_health(service_url: str) -> None:
    status, headers, body = request(f"{service_url}/_health")
    assert status == 200
    assert body == {"status": "healthy", "service": "envoxy"}
    assert headers["Server"] == "Envoxy Server"
    assert headers["Date"].endswith("GMT")


def test_crud(service_url: str) -> None:
    status, _, created = request(
        f"{service_url}/v3/greetings", "POST", {"name": "Ana", "message": "olá"}
    )
    assert status == 201
    assert created["name"] == "Ana" and created["message"] == "olá"
    assert created["href"] == f"/v3/data-layer/aux_greetings/{created['id']}"
    assert re.match(
        r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$", created["created"]
    )
    one = f"{service_url}/v3/greetings/{created['id']}"
    assert request(one)[2] == created
    status, _, listing = request(f"{service_url}/v3/greetings")
    assert status == 200 and created in listing["elements"]
    assert listing["size"] == len(listing["elements"])
    status, _, updated = request(one, "PUT", {"message": "hello"})
    assert status == 200 and updated["message"] == "hello" and updated["name"] == "Ana"
    assert request(one, "DELETE")[0] == 204
    assert request(one)[0] == 404


def test_cached_stats(service_url: str) -> None:
    status, _, stats = request(f"{service_url}/v3/stats")
    assert status == 200 and isinstance(stats["greetings"], int)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "x"}, 412, 1200),
        ({"name": 5, "message": "m"}, 412, 1202),
        ({"name": "x", "message": "m" * 300}, 422, 1422),
        (b"{not json", 400, 400),
        ([1, 2], 400, 1400),
    ],
)
def test_bad_input_is_a_json_4xx(
    service_url: str, body: Any, status: int, code: int
) -> None:
    got, headers, error = request(f"{service_url}/v3/greetings", "POST", body)
    assert got == status, error
    assert error["code"] == code
    assert re.search(r" :: ELRC\([0-9a-f-]{36}\)$", error["error"])
    assert headers["X-Error"] == str(code)


def test_unknown_path_and_method(service_url: str) -> None:
    assert request(f"{service_url}/nope")[0] == 404
    assert request(f"{service_url}/v3/greetings", "DELETE")[0] == 405
    assert request(f"{service_url}/_health")[0] == 200  # still serving after errors
