"""envoxy-cli: a scaffolded project passes its own test and serves under envoxyd."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.daemon import free_port

BIN = Path(sys.executable).parent


def test_create_project_runs(tmp_path: Path) -> None:
    cli = shutil.which("envoxy-cli", path=str(BIN))
    envoxyd = shutil.which("envoxyd", path=str(BIN))
    assert cli and envoxyd, "make install first"
    made = subprocess.run(
        [cli, "--create-project", "--name", "Café Orders", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    project = tmp_path / "cafe-orders"
    assert "envoxyd --http :8080 --set conf=envoxy.json" in made.stdout
    assert (project / "migrations" / "versions").is_dir()
    again = subprocess.run(
        [cli, "-c", "-n", "Café Orders", "-d", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 2 and "already exists" in again.stderr
    tested = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    port = free_port()
    with (project / "envoxyd.log").open("wb") as log:
        daemon = subprocess.Popen(
            [envoxyd, "--http", f"127.0.0.1:{port}", "--set", "conf=envoxy.json"],
            cwd=project,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}/v3/items"
        request = urllib.request.Request(
            url,
            data=json.dumps({"name": "espresso"}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(request, timeout=5) as reply:  # noqa: S310
                    assert reply.status == 201
                    break
            except OSError:
                assert daemon.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        with urllib.request.urlopen(url, timeout=5) as reply:
            names = [item["name"] for item in json.loads(reply.read())["elements"]]
        assert "espresso" in names
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(30) == 0


def test_info_lists_the_hot_paths() -> None:
    cli = shutil.which("envoxy-cli", path=str(BIN))
    assert cli
    out = subprocess.run(
        [cli, "info"], capture_output=True, text=True, check=True
    ).stdout
    assert (
        out.startswith("envoxy ") and "hot paths: encoder=" in out and "zapata=" in out
    )
