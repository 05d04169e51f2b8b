"""envoxy-cli: a scaffolded project passes its own test and serves under envoxyd."""

from __future__ import annotations

import json
import os
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


def test_the_scaffolds_migration_command_works_as_written(tmp_path: Path) -> None:
    """14.10: the scaffolded README's envoxy-alembic line failed as written
    (no namespace, no models, no URL). Run verbatim in the project, it writes
    a revision whose tables keep aux_, versioned under the project's name."""
    import shlex

    cli = shutil.which("envoxy-cli", path=str(BIN))
    assert cli, "make install first"
    subprocess.run(
        [cli, "--create-project", "--name", "Tea Shop", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    project = tmp_path / "tea-shop"
    line = next(
        row.split("#")[0].strip()
        for row in (project / "README.md").read_text().splitlines()
        if "envoxy-alembic revision" in row
    )
    words = shlex.split(line)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SERVICE_", "ENVOXY_"))
    }
    env["PATH"] = f"{BIN}:{env.get('PATH', '')}"
    while "=" in words[0]:  # the README's own VAR=value prefixes
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    words = [w if w != "..." else "initial" for w in words]
    made = subprocess.run(
        words,
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    assert "version table alembic_version_tea_shop" in made.stderr
    (revision,) = (project / "migrations" / "versions").glob("*.py")
    assert "aux_items" in revision.read_text()
