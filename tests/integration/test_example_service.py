"""The README's run command serves the example service: a real process over HTTP."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def service_url() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "examples/hello/app.py"), "--port", "0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert process.stderr is not None
    first = process.stderr.readline()
    match = re.search(r"listening on (http://\S+?)/?$", first.strip())
    assert match, f"unexpected first line: {first!r}"
    yield match.group(1)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    process.stderr.close()


def request(
    url: str, method: str = "GET", body: Any = None
) -> tuple[int, dict[str, str], Any]:
    data = (
        None
        if body is None
        else (body if isinstance(body, bytes) else json.dumps(body).encode())
    )
    req = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback
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


def test_create_and_list(service_url: str) -> None:
    status, _, created = request(
        f"{service_url}/v3/greetings", "POST", {"name": "Ana", "times": 2}
    )
    assert status == 201
    assert created["text"] == "Hello, Ana! Hello, Ana!"
    assert re.match(
        r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$", created["created"]
    )
    status, _, listing = request(f"{service_url}/v3/greetings")
    assert status == 200
    assert created in listing["elements"]
    assert listing["size"] == len(listing["elements"])


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"times": 1}, 412, 1200),
        ({"name": 5}, 412, 1202),
        ({"name": "x", "times": 99}, 422, 1203),
        (b"{not json", 400, 1400),
    ],
)
def test_bad_input_is_a_json_4xx(
    service_url: str, body: Any, status: int, code: int
) -> None:
    got, headers, error = request(f"{service_url}/v3/greetings", "POST", body)
    assert got == status
    assert error["code"] == code
    assert re.search(r" :: ELRC\([0-9a-f-]{36}\)$", error["error"])
    assert headers["X-Error"] == str(code)


def test_unknown_path_and_method(service_url: str) -> None:
    assert request(f"{service_url}/nope")[0] == 404
    assert request(f"{service_url}/v3/greetings", "DELETE")[0] == 405
    assert request(f"{service_url}/_health")[0] == 200  # still serving after errors
