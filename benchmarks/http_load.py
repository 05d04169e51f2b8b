"""HTTP load: envoxyd's JSON view vs a bare WSGI callable vs Flask, same uWSGI.

    python benchmarks/http_load.py [--seconds 5] [--connections 64] [--rounds 3]
                                   [--modes http http-socket]

Each server runs uWSGI (pyuwsgi) with envoxyd's default flags, 2 processes,
first behind the ``--http`` router and then with ``--http-socket``; wrk drives
it on loopback. The three servers of a mode run side by side and wrk visits
them in turn, round after round, so a slow spell of the shared machine hits
all three. Prints each server's best round (and median) in requests/s, p99,
and the ratios of the best rounds (medians in brackets); exits 1 when envoxy
falls under 0.8 of the bare callable or under 2x Flask (issue 7's targets).
``ENVOXY_LOAD_FLAGS="--thunder-lock"`` adds uWSGI flags to all three.
Needs ``wrk`` (Debian package ``wrk``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
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

MODES = ("http", "http-socket")
#: more uWSGI flags for all three servers, to try a setting: "--thunder-lock"
EXTRA = os.environ.get("ENVOXY_LOAD_FLAGS", "").split()
KINDS = ("bare", "envoxy", "flask")
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

    bind = [f"--{mode}", f"127.0.0.1:{port}", "--processes", "2", *EXTRA]
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
        arguments = build_arguments([*bind, *app], name=f"load-{port}")
        command = [sys.executable, "-c", runner, *arguments]
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


def measure(
    mode: str, folder: Path, rounds: int, seconds: int, connections: int
) -> dict[str, list[tuple[float, float]]]:
    """All three servers up at once; wrk runs interleaved round by round, so
    a slow spell of the shared machine hits every server alike."""
    servers = {}
    try:
        for kind in KINDS:
            port = free_port()
            servers[kind] = (port, start(kind, mode, folder, port))
            wrk(port, 1, connections)  # warm up
        results: dict[str, list[tuple[float, float]]] = {kind: [] for kind in KINDS}
        for _ in range(rounds):
            for kind in KINDS:
                results[kind].append(wrk(servers[kind][0], seconds, connections))
        return results
    finally:
        for _, process in servers.values():
            process.terminate()
            process.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=MODES)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="envoxy-load-"))
    (folder / "bare.py").write_text(BARE)
    (folder / "flask.py").write_text(FLASK)
    (folder / "views.py").write_text(VIEWS)
    failed = False
    print(
        f"wrk -t2 -c{args.connections} -d{args.seconds}s, {args.rounds} rounds "
        "interleaved, uWSGI 2 processes; best round (median)"
    )
    print("| mode | server | req/s | p99 ms | every round |\n|---|---|---|---|---|")
    for mode in args.modes:
        results = measure(mode, folder, args.rounds, args.seconds, args.connections)
        best, median = {}, {}
        for kind in KINDS:
            rates = [rate for rate, _ in results[kind]]
            best[kind], median[kind] = max(rates), statistics.median(rates)
            p99 = min(p99 for _, p99 in results[kind])
            every = " / ".join(f"{rate:,.0f}" for rate in rates)
            print(
                f"| --{mode} | {kind} | {best[kind]:,.0f} ({median[kind]:,.0f}) "
                f"| {p99:.2f} | {every} |"
            )
        vs_bare = best["envoxy"] / best["bare"]
        vs_flask = best["envoxy"] / best["flask"]
        ok = vs_bare >= TARGETS["bare"] and vs_flask >= TARGETS["flask"]
        failed = failed or not ok
        print(
            f"--{mode}: envoxy/bare {vs_bare:.2f} "
            f"({median['envoxy'] / median['bare']:.2f}; target 0.8), "
            f"envoxy/flask {vs_flask:.2f} "
            f"({median['envoxy'] / median['flask']:.2f}; target 2.0) "
            f"{'ok' if ok else 'UNDER TARGET'}"
        )
    shutil.rmtree(folder, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
