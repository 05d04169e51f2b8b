"""Issue 12, the daemon as an adversary sees it: real envoxyd processes,
real sockets and signals. One test per reproduction of the issue."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.daemon import Daemon

pytestmark = pytest.mark.integration

VIEWS = """
import os
import time

from envoxy import View, on


@on(endpoint="/v3/items/{item_id:int}", protocols=["http"])
class Item(View):
    def get(self, request, item_id, **kwargs):
        return {"id": item_id, "pid": os.getpid()}

    def post(self, request, item_id, **kwargs):
        return {"id": item_id, "size": len(request.get_data())}, 201


@on(endpoint="/v3/slow", protocols=["http"])
class Slow(View):
    def get(self, request, **kwargs):
        time.sleep(float(request.args.get("s", "1")))
        return {"slept": True, "pid": os.getpid()}


__loader__ = [Item, Slow]
"""


def router_socket_of(daemon: Daemon) -> Path:
    found = re.search(r"bound to UNIX address (\S+\.sock)", daemon.log.read_text())
    assert found, "the router's backend is not a UNIX socket"
    return Path(found[1])


@pytest.mark.skipif(os.geteuid() != 0, reason="planting a folder as another user")
def test_a_planted_socket_folder_never_opens_a_uwsgi_port(tmp_path: Path) -> None:
    """12.1: ``<tmp>/envoxyd-<uid>`` made by another local user (here nobody,
    mode 0777) made envoxyd fall back to uWSGI's TCP socket on 127.0.0.1,
    where that user could send UWSGI_FILE and run code in the worker."""
    shared_tmp = Path(tempfile.mkdtemp(prefix="eh-"))  # short: sun_path is 108 bytes
    shared_tmp.chmod(0o1777)
    planted = shared_tmp / f"envoxyd-{os.getuid()}"
    planted.mkdir()
    planted.chmod(0o777)
    os.chown(planted, 65534, 65534)  # nobody's
    service = tmp_path / "svc"
    service.mkdir()
    daemon = Daemon(service, {}, VIEWS, env={"TMPDIR": str(shared_tmp)}).start()
    try:
        socket_path = router_socket_of(daemon)
        folder = socket_path.parent
        assert folder.parent == shared_tmp and folder != planted
        assert folder.stat().st_uid == os.getuid()
        assert folder.stat().st_mode & 0o777 == 0o700
        assert daemon.listening_tcp_ports() == {daemon.port}  # HTTP only
        assert daemon.get("/v3/items/1")[0] == 200
        assert list(planted.iterdir()) == []
    finally:
        assert daemon.stop() == 0
        shutil.rmtree(shared_tmp)
    assert not folder.exists()


def test_no_private_folder_means_no_start(tmp_path: Path) -> None:
    """12.1: when no private folder can be made (here every socket path in the
    temp dir would be over 107 bytes), refuse with one line, no TCP port."""
    deep = tmp_path / ("d" * 110)
    deep.mkdir()
    daemon = Daemon(tmp_path, {}, VIEWS)
    done = subprocess.run(
        daemon.command(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "TMPDIR": str(deep), "XDG_RUNTIME_DIR": ""},
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no private directory" in lines[0], lines


class SlowBody:
    """A client that sends a POST's headers, then its body one byte a second."""

    def __init__(self, port: int, size: int = 60) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.sendall(
            b"POST /v3/items/1 HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
            + f"Content-Length: {size}\r\n\r\n".encode()
        )
        self.size = size
        self.answer = b""
        self.thread = threading.Thread(target=self._drip, daemon=True)
        self.thread.start()

    def _drip(self) -> None:
        self.sock.settimeout(1.0)
        for _ in range(self.size):
            try:
                self.answer += self.sock.recv(4096)
                if self.answer:
                    return  # answered before the body was complete
            except TimeoutError:
                pass
            except OSError:
                return
            try:
                self.sock.sendall(b"x")
            except OSError:
                return

    def status(self) -> int:
        self.thread.join(70)
        self.sock.close()
        found = re.match(rb"HTTP/1\.1 (\d{3})", self.answer)
        return int(found[1]) if found else 0


def test_slow_bodies_never_take_the_daemon_down(tmp_path: Path) -> None:
    """12.3: as many connections as workers, each sending its body at 1 byte/s,
    stopped all service until harakiri killed every worker (the events worker
    too). Now with 2 workers and 4 such clients /_health answers at once, the
    clients past the workers' slow-body slots get 503 at once, and the ones
    holding a slot get 408 at http.body_timeout; no worker is killed."""
    # 3.5 s: the cut falls between two of the clients' bytes (one a second);
    # at a whole number of seconds it raced the next byte, which the router then
    # could not forward (the read side is shut) and dropped the client unanswered
    conf = {"http": {"body_timeout": 3.5}}
    daemon = Daemon(tmp_path, conf, VIEWS).start()
    try:
        pids = set(daemon.pids())
        slow = [SlowBody(daemon.port) for _ in range(4)]
        time.sleep(0.5)  # every slow client is on a worker thread by now
        for _ in range(5):
            started = time.monotonic()
            assert daemon.get("/_health", timeout=5)[0] == 200
            waited = time.monotonic() - started
            # "at once": well before any slow body could end (60 s) or be cut
            assert waited < 2.0, waited
            status, _, body = daemon.request("POST", "/v3/items/2", b"fast")
            assert status == 201 and body["size"] == 4
            time.sleep(0.3)
        statuses = sorted(client.status() for client in slow)
        assert statuses == [408, 408, 503, 503], statuses
        assert set(daemon.pids()) == pids  # no worker was killed or respawned
        assert "HARAKIRI" not in daemon.log.read_text()
    finally:
        assert daemon.stop() == 0


def test_chunked_request_bodies_are_read_whole(tmp_path: Path) -> None:
    """12.11: a Transfer-Encoding: chunked POST was read as empty. Chunks sent
    in separate packets reach the view whole, behind the router and not."""
    daemon = Daemon(tmp_path, {}, VIEWS).start()
    try:
        with socket.create_connection(("127.0.0.1", daemon.port), timeout=10) as s:
            s.sendall(
                b"POST /v3/items/3 HTTP/1.1\r\nHost: t\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            for part in (b"5\r\nhello\r\n", b"6\r\n world\r\n", b"0\r\n\r\n"):
                time.sleep(0.2)
                s.sendall(part)
            answer = b""
            while b"}" not in answer:
                answer += s.recv(4096)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 201"), head
        assert json.loads(body) == {"id": 3, "size": 11}
    finally:
        assert daemon.stop() == 0


def test_sigterm_answers_every_request_already_received(tmp_path: Path) -> None:
    """12.7: requests already sent on keep-alive connections but queued behind
    the router got a bare close at SIGTERM (14 of 16). Now each of them gets
    its answer; meanwhile readiness says "draining" (503) and new requests
    are still served; the daemon exits 0."""
    daemon = Daemon(tmp_path, {}, VIEWS).start()
    connections = []
    for _ in range(16):  # 4 worker threads: 12 of these wait behind them
        connection = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=30)
        connection.request("GET", "/v3/items/1")
        assert connection.getresponse().read()
        connections.append(connection)
    answers: list[object] = []

    def slow(connection: http.client.HTTPConnection) -> None:
        try:
            connection.request("GET", "/v3/slow?s=0.5")
            reply = connection.getresponse()
            answers.append((reply.status, json.loads(reply.read())["slept"]))
        except (OSError, http.client.HTTPException) as exc:
            answers.append(repr(exc))

    callers = [threading.Thread(target=slow, args=(c,)) for c in connections]
    for caller in callers:
        caller.start()
    time.sleep(0.2)  # every request is in: 4 running, 12 queued
    assert daemon.process is not None
    daemon.process.send_signal(signal.SIGTERM)
    time.sleep(0.1)
    status, _, body = daemon.get("/_health/ready")
    assert (status, body["status"]) == (503, "draining")
    assert daemon.get("/v3/items/5")[0] == 200  # arrived after SIGTERM: served
    for caller in callers:
        caller.join(30)
    for connection in connections:
        connection.close()
    assert answers == [(200, True)] * 16
    assert daemon.process.wait(30) == 0
    assert "drained: every request received was answered" in daemon.log.read_text()


def test_sighup_reloads_the_workers_without_refusing_anyone(tmp_path: Path) -> None:
    """12.14: SIGHUP (logrotate, systemctl reload) made uWSGI attempt a binary
    reload that fails under pyuwsgi; every later connection was refused. Now
    it is a chain reload: the request in flight completes, a client loop sees
    no refusal, and new workers (new code and config) serve within seconds."""
    daemon = Daemon(tmp_path, {}, VIEWS).start()
    try:
        before = {daemon.get("/v3/items/1")[2]["pid"] for _ in range(20)}
        answers: list[object] = []
        done = threading.Event()

        def loop() -> None:
            while not done.is_set():
                try:
                    answers.append(daemon.get("/v3/items/2", timeout=10)[0])
                except OSError as exc:
                    answers.append(repr(exc))

        in_flight: list[object] = []
        slow = threading.Thread(
            target=lambda: in_flight.append(daemon.get("/v3/slow?s=2")[0])
        )
        slow.start()
        client = threading.Thread(target=loop)
        client.start()
        time.sleep(0.3)
        assert daemon.process is not None
        daemon.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while "chain reloading complete" not in daemon.log.read_text():
            assert time.monotonic() < deadline, "the reload did not complete"
            time.sleep(0.1)
        done.set()
        client.join(20)
        slow.join(20)
        after = {daemon.get("/v3/items/1")[2]["pid"] for _ in range(20)}
        assert not after & before, (before, after)  # every worker is new
        assert in_flight == [200]
        assert len(answers) > 10 and set(answers) == {200}, set(answers)
        assert daemon.process.poll() is None  # still the same daemon
    finally:
        assert daemon.stop() == 0


def test_slow_headers_are_cut_by_the_router_and_hold_no_worker(tmp_path: Path) -> None:
    """Slowloris on headers: the router (asynchronous) holds such connections
    and closes them at --http-headers-timeout (envoxyd: 10 s; 2 s here);
    the workers keep serving."""
    daemon = Daemon(tmp_path, {}, VIEWS, args=("--http-headers-timeout", "2")).start()
    try:
        stalled = [
            socket.create_connection(("127.0.0.1", daemon.port), timeout=10)
            for _ in range(20)
        ]
        for sock in stalled:
            sock.sendall(b"GET /v3/items/1 HTTP/1.1\r\nHost: t\r\n")  # never ends
        assert daemon.get("/v3/items/1")[0] == 200  # no worker is waiting on them
        started = time.monotonic()
        for sock in stalled:
            assert sock.recv(100) == b""  # closed by the router
            sock.close()
        assert time.monotonic() - started < 9  # by the 2 s timeout, not 60 s
    finally:
        assert daemon.stop() == 0


@pytest.mark.parametrize(
    ("conf", "key"),
    [
        ({"http": {"body_timeout": "soon"}}, "http.body_timeout"),
        ({"http": {"max_body_bytes": 0}}, "http.max_body_bytes"),
        ({"mqtt_servers": {"m": {"bind": "mqtt://h", "outbox": -1}}}, "mqtt_servers.m"),
        (
            {"zmq_servers": {"z": {"host": "h", "port": 1, "timeout_ms": 0}}},
            "zmq_servers.z",
        ),
        (
            {"psql_servers": {"p": {"host": "h", "socket_timeout": "x"}}},
            "psql_servers.p",
        ),
        ({"envoxyd": {"drain_seconds": -1}}, "envoxyd.drain_seconds"),
        (
            {"auth": {"jwt": {"secret": "s", "max_token_bytes": "big"}}},
            "max_token_bytes",
        ),
    ],
)
def test_a_bad_limit_stops_the_boot_naming_its_key(
    tmp_path: Path, conf: dict[str, object], key: str
) -> None:
    """Every limit is honoured or refused at boot, never ignored."""
    views = (
        VIEWS
        if "auth" not in conf
        else VIEWS.replace('@on(endpoint="/v3/slow"', '@on(endpoint="/v3/slow"')
    )
    daemon = Daemon(tmp_path, conf, views)
    done = subprocess.run(
        daemon.command(), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2, done.stderr
    assert key in done.stderr and len(done.stderr.strip().splitlines()) == 1
