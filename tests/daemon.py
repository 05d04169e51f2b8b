"""A real envoxyd (uWSGI) process on a free loopback port, talked to over HTTP.

Shared by the daemon's integration tests: ``Daemon(folder, conf, views)``
writes the service (``views.py``, ``envoxy.json``) and runs ``envoxyd --http``
with 2 processes; ``request``/``get`` speak HTTP to it; ``stop`` sends SIGTERM
and returns the exit status.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import jwt

__all__ = [
    "ENVOXYD",
    "JWT_CONF",
    "SECRET",
    "VIEWS",
    "Daemon",
    "free_port",
    "token",
]

SECRET = "test-secret-that-is-long-enough-for-hs256"
ENVOXYD = shutil.which("envoxyd", path=str(Path(sys.executable).parent))

VIEWS = """
import time
import uuid

from envoxy import View, ValidationException, auth_required, on


@on(endpoint="/v3/items/{item_id:int}", protocols=["http"])
class Item(View):
    def get(self, request, item_id, **kwargs):
        if item_id == 0:
            raise ValidationException("zero is not an item", code=1234, status=422)
        return {"id": item_id, "q": request.args.to_dict()}

    def put(self, request, item_id, **kwargs):
        return {"id": item_id, "body": request.get_json()}, 201


@on(endpoint="/v3/things/{thing:uuid}/files/{rest:path}", protocols=["http"])
class Files(View):
    def get(self, request, thing, rest, **kwargs):
        return [str(thing), rest]


@on(endpoint="/v3/boom", protocols=["http"])
class Boom(View):
    def get(self, request, **kwargs):
        raise RuntimeError("database password is hunter2")


@on(endpoint="/v3/slow", protocols=["http"])
class Slow(View):
    def get(self, request, **kwargs):
        time.sleep(float(request.args.get("s", "1")))
        return {"slept": True}


@on(endpoint="/v3/admin", protocols=["http"])
class Admin(View):
    @auth_required(roles=["admin"])
    def get(self, request, claims=None, **kwargs):
        return {"sub": claims["sub"]}


@on(endpoint="/v3/echo/{word}", protocols=["zmq"])
class Echo(View):
    def get(self, request, word, **kwargs):
        return {"word": word}


__loader__ = [Item, Files, Boom, Slow, Admin, Echo]
"""


DRAIN_HOOKED = 'unix_signal:2 gracefully_kill_them_all" (master-start)'


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Daemon:
    def __init__(
        self,
        folder: Path,
        conf: dict[str, Any],
        views: str = VIEWS,
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        self.folder = folder
        self.port = free_port()
        (folder / "views.py").write_text(views)
        conf = {"modules": [str(folder / "views.py")], **conf}
        self.conf = conf
        (folder / "envoxy.json").write_text(json.dumps(conf))
        self.process: subprocess.Popen[bytes] | None = None
        self.log = folder / "envoxyd.log"
        self.args = args
        self.env = env

    def command(self) -> list[str]:
        assert ENVOXYD, "envoxyd is not installed in this environment (make install)"
        return [
            ENVOXYD,
            "--http",
            f"127.0.0.1:{self.port}",
            "--set",
            f"conf={self.folder / 'envoxy.json'}",
            "--processes",
            "2",
            *self.args,
        ]

    def start(self) -> Daemon:
        with self.log.open("wb") as log:  # the child keeps its own copy
            self.process = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.folder,
                env=None if self.env is None else {**os.environ, **self.env},
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"envoxyd exited: {self.log.read_text()}")
            # the drain hooks are installed (a SIGTERM before that just kills)
            # and every worker has loaded the service (--lazy-apps: a signal
            # to a worker still loading it can be lost, a uWSGI limit)
            text = self.log.read_text(errors="replace")
            ready = text.count("WSGI app 0 (mountpoint='') ready") >= self.workers
            try:
                if DRAIN_HOOKED in text and ready and self.get("/_health")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.process.kill()  # never leave a daemon behind a failed test
        self.process.wait(10)
        raise AssertionError(f"envoxyd did not answer: {self.log.read_text()}")

    @property
    def workers(self) -> int:
        """How many worker processes the command line asks for."""
        command = self.command()
        found = [i for i, arg in enumerate(command) if arg in ("--processes", "-p")]
        return int(command[found[-1] + 1]) if found else 1

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10,
    ) -> tuple[int, dict[str, str], Any]:
        url = f"http://127.0.0.1:{self.port}{path}"
        request = urllib.request.Request(
            url, data=body, method=method, headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310
                status, head, data = reply.status, dict(reply.headers), reply.read()
        except urllib.error.HTTPError as error:
            status, head, data = error.code, dict(error.headers), error.read()
        try:
            return status, head, json.loads(data) if data else None
        except ValueError:
            return status, head, data

    def get(self, path: str, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
        return self.request("GET", path, **kwargs)

    def raw(self, data: bytes, timeout: float = 10) -> bytes:
        """Send ``data`` as is on a new connection; everything read back until
        the server closes it (or ``timeout`` of silence)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(data)
            chunks = []
            try:
                while chunk := s.recv(65536):
                    chunks.append(chunk)
            except (TimeoutError, ConnectionResetError):
                pass
            return b"".join(chunks)

    def pids(self) -> list[int]:
        """The master and every process under it (workers, the router)."""
        assert self.process is not None
        found, frontier = [self.process.pid], [self.process.pid]
        while frontier:
            parent = frontier.pop()
            children = Path(f"/proc/{parent}/task/{parent}/children")
            try:
                kids = [int(pid) for pid in children.read_text().split()]
            except OSError:
                continue
            found += kids
            frontier += kids
        return found

    def listening_tcp_ports(self) -> set[int]:
        """TCP ports any of the daemon's processes listens on (from /proc)."""
        inodes: set[str] = set()
        for pid in self.pids():
            try:
                for fd in Path(f"/proc/{pid}/fd").iterdir():
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        inodes.add(target[8:-1])
            except OSError:
                continue
        ports = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        return ports

    def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode


JWT_CONF = {
    "auth": {
        "jwt": {
            "secret": SECRET,
            "algorithms": ["HS256"],
            "audience": "envoxy-tests",
            "issuer": "https://issuer.test",
        }
    }
}


def token(**claims: Any) -> str:
    base = {
        "sub": "user-1",
        "aud": "envoxy-tests",
        "iss": "https://issuer.test",
        "exp": int(time.time()) + 300,
        "roles": ["admin"],
    }
    base.update(claims)
    return jwt.encode(base, SECRET, algorithm="HS256")
