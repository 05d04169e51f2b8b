"""HTTP load: envoxyd's JSON view vs a bare WSGI callable vs Flask, same uWSGI.

    python benchmarks/http_load.py [--seconds 5] [--connections 64]

Each server runs uWSGI (pyuwsgi) with envoxyd's default flags, 2 processes,
first behind the ``--http`` router and then with ``--http-socket``; wrk drives
it on loopback. Prints requests/s and p99 per server and the ratios, and
exits 1 when envoxy falls under 0.8 of the bare callable or under 2x Flask
(issue 7's targets). Needs ``wrk`` (Debian package ``wrk``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BODY = {"id": 42, "name": "card", "active": True, "tags": ["a", "b"], "balance": 10.5}

BARE = f"""
import json
BODY = json.dumps({BODY!r}, separators=(",", ":")).encode()
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]
def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
"""

FLASK = f"""
from flask import Flask, jsonify
application = Flask(__name__)
@application.get("/v3/cards/<int:card_id>")
def card(card_id):
    return jsonify({{**{BODY!r}, "id": card_id}})
"""

VIEWS = f"""
from envoxy import View, on
@on(endpoint="/v3/cards/{{card_id:int}}", protocols=["http"])
class Card(View):
    def get(self, request, card_id, **kwargs):
        return {{**{BODY!r}, "id": card_id}}
__loader__ = [Card]
"""

TARGETS = {"bare": 0.8, "flask": 2.0}  # envoxy / bare >= 0.8, envoxy / flask >= 2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:  # noqa: S310
                if reply.status == 200:
                    time.sleep(1.0)  # every worker up
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server did not answer: {log.read_text()[-2000:]}")


def start(kind: str, mode: str, folder: Path, port: int) -> subprocess.Popen[bytes]:
    from envoxyd.cli import build_arguments

    bind = [f"--{mode}", f"127.0.0.1:{port}", "--processes", "2"]
    log = folder / f"{kind}-{mode}.log"
    if kind == "envoxy":
        conf = folder / "envoxy.json"
        conf.write_text(json.dumps({"modules": [str(folder / "views.py")]}))
        command = [
            str(Path(sys.executable).parent / "envoxyd"),
            *bind,
            "--set",
            f"conf={conf}",
        ]
    else:
        runner = "import sys, pyuwsgi; pyuwsgi.run(sys.argv[1:])"
        app = ["--wsgi-file", str(folder / f"{kind}.py")]
        command = [sys.executable, "-c", runner, *build_arguments([*bind, *app])]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    wait_ready(f"http://127.0.0.1:{port}/v3/cards/7", process, log)
    return process


def wrk(port: int, seconds: int, connections: int) -> tuple[float, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            f"http://127.0.0.1:{port}/v3/cards/7",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert p99 is not None, out
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    if "Non-2xx" in out or "Socket errors" in out:
        print(out, file=sys.stderr)
    return rate, float(p99.group(1)) * scale


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="envoxy-load-"))
    (folder / "bare.py").write_text(BARE)
    (folder / "flask.py").write_text(FLASK)
    (folder / "views.py").write_text(VIEWS)
    failed = False
    print(f"wrk -t2 -c{args.connections} -d{args.seconds}s, uWSGI 2 processes")
    print("| mode | server | req/s | p99 ms |\n|---|---|---|---|")
    for mode in ("http", "http-socket"):
        rates = {}
        for kind in ("bare", "envoxy", "flask"):
            port = free_port()
            process = start(kind, mode, folder, port)
            try:
                wrk(port, 1, args.connections)  # warm up
                rates[kind], p99 = wrk(port, args.seconds, args.connections)
            finally:
                process.terminate()
                process.wait(30)
            print(f"| --{mode} | {kind} | {rates[kind]:,.0f} | {p99:.2f} |")
        vs_bare = rates["envoxy"] / rates["bare"]
        vs_flask = rates["envoxy"] / rates["flask"]
        ok = vs_bare >= TARGETS["bare"] and vs_flask >= TARGETS["flask"]
        failed = failed or not ok
        print(
            f"--{mode}: envoxy/bare {vs_bare:.2f} (target 0.8), "
            f"envoxy/flask {vs_flask:.2f} (target 2.0) {'ok' if ok else 'UNDER TARGET'}"
        )
    shutil.rmtree(folder, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
