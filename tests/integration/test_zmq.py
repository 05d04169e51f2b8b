"""zmqc and the Zapata server over real ZeroMQ sockets on tcp loopback.

The envoxy server runs in its own process (tests/integration/zmq_peer.py);
the raw peers are plain pyzmq written here, with no envoxy code on their side.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import zmq

from envoxy import View, on
from envoxy.exceptions import ValidationException
from envoxy.zeromq.codec import encode_request
from envoxy.zeromq.dispatcher import Dispatcher as zmqc
from envoxy.zeromq.errors import NoSocketException, ZapataEncodeError
from envoxy.zeromq.routes import ZmqRoutes
from envoxy.zeromq.server import ZapataServer

PEER = Path(__file__).with_name("zmq_peer.py")
FAST = {"timeout_ms": 300, "retries": 2, "backoff_ms": 20, "deadline_ms": 1500}
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")
CID = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)


def free_port() -> int:
    probe = zmq.Context.instance().socket(zmq.ROUTER)
    port = probe.bind_to_random_port("tcp://127.0.0.1")
    probe.close(linger=0)
    return port


class PeerProcess:
    """The envoxy server in a child process, restartable on the same port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> PeerProcess:
        self.process = subprocess.Popen(
            [sys.executable, str(PEER), f"tcp://127.0.0.1:{self.port}"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        assert line[:1] == ["ready"], f"the zmq peer did not start: {line}"
        return self

    def kill(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        self.process.kill()
        self.process.wait(10)
        self.process.stdout.close()

    def terminate(self) -> str:
        assert self.process is not None and self.process.stdout is not None
        self.process.send_signal(signal.SIGTERM)
        out = self.process.stdout.read()
        self.process.wait(20)
        self.process.stdout.close()
        return out


@pytest.fixture
def peer() -> Iterator[PeerProcess]:
    started = PeerProcess(free_port()).start()
    yield started
    if started.process is not None and started.process.poll() is None:
        started.kill()


@pytest.fixture
def client() -> Iterator[Callable[..., None]]:
    """``client(key=port, **settings)``: a fresh zmqc for this test."""

    def configure(**servers: dict[str, Any]) -> None:
        zmqc.shutdown()
        zmqc.initialize(servers)

    yield configure
    zmqc.shutdown()


class RawRouter:
    """A pyzmq ROUTER in a thread: records frames, answers with ``respond``."""

    def __init__(self, respond: Callable[[list[bytes]], list[bytes] | None]) -> None:
        self.respond = respond
        self.received: list[list[bytes]] = []
        self.socket = zmq.Context.instance().socket(zmq.ROUTER)
        self.port = self.socket.bind_to_random_port("tcp://127.0.0.1")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            if not self.socket.poll(50):
                continue
            frames = self.socket.recv_multipart()
            self.received.append(frames)
            answer = self.respond(frames)
            if answer is not None:
                self.socket.send_multipart(answer)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.socket.close(linger=0)


@pytest.fixture
def raw_router() -> Iterator[Callable[..., RawRouter]]:
    made: list[RawRouter] = []

    def make(respond: Callable[[list[bytes]], list[bytes] | None]) -> RawRouter:
        made.append(RawRouter(respond))
        return made[-1]

    yield make
    for router in made:
        router.close()


# -- envoxy client <-> envoxy server in another process ---------------------------
def test_client_and_server_in_two_processes(peer: PeerProcess, client: Any) -> None:
    client(peer={"host": "127.0.0.1", "port": peer.port, **FAST})
    reply = zmqc.get("peer", "/v3/things/42", params={"q": ["1"]})
    assert reply["status"] == 200
    assert reply["resource"] == "/v3/things/42"
    assert reply["payload"]["id"] == "42" and reply["payload"]["params"] == {"q": ["1"]}
    assert CID.match(reply["payload"]["cid"])
    assert "X-Cid" not in reply["headers"]
    assert "performative" not in reply and "protocol" not in reply
    created = zmqc.post("peer", "/v3/things/7", payload={"name": "é"})
    assert created["status"] == 201
    assert created["payload"] == {"created": "7", "body": {"name": "é"}}
    assert zmqc.delete("peer", "/v3/things/7")["payload"] == {"deleted": "7"}


def test_server_errors_become_replies(peer: PeerProcess, client: Any) -> None:
    client(peer={"host": "127.0.0.1", "port": peer.port, **FAST})
    failed = zmqc.get("peer", "/v3/fail")
    assert failed["status"] == 500
    assert failed["payload"] == {"text": "Internal Server Error", "code": 0}
    invalid = zmqc.put("peer", "/v3/fail")
    assert invalid["status"] == 422
    assert invalid["payload"] == {"text": "bad thing", "code": 1234}
    assert zmqc.get("peer", "/v3/nothing")["status"] == 404
    assert zmqc.post("peer", "/v3/fail")["status"] == 405
    with pytest.raises(ValidationException) as caught:
        zmqc.validate_response(invalid)
    assert caught.value.status == "422" and caught.value.code == 1234
    assert zmqc.get("peer", "/v3/things/1")["status"] == 200  # still serving


def test_many_threads_share_the_pool(peer: PeerProcess, client: Any) -> None:
    client(peer={"host": "127.0.0.1", "port": peer.port, "pool_size": 4, **FAST})
    mixed: list[str] = []

    def caller(index: int) -> None:
        for round_ in range(15):
            key = f"{index}-{round_}"
            reply = zmqc.get("peer", f"/v3/things/{key}")
            if reply["payload"]["id"] != key:
                mixed.append(key)

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not mixed


def test_futures_and_bulk_requests(peer: PeerProcess, client: Any) -> None:
    client(peer={"host": "127.0.0.1", "port": peer.port, **FAST})
    future = zmqc.get("peer", "/v3/things/f", future=True)
    assert future.result(10)["payload"]["id"] == "f"
    replies = zmqc.bulk_requests(
        [
            {"server_key": "peer", "performative": 0, "url": f"/v3/things/{i}"}
            for i in range(10)
        ]
    )
    assert [r["payload"]["id"] for r in replies] == [str(i) for i in range(10)]
    assert zmqc.bulk_requests([]) == []
    with pytest.raises(ValidationException):
        zmqc.bulk_requests([{"server_key": "peer", "url": "/x"}])


def test_slow_view_does_not_block_fast_ones(peer: PeerProcess, client: Any) -> None:
    client(peer={"host": "127.0.0.1", "port": peer.port, "timeout_ms": 5000})
    slow = zmqc.get("peer", "/v3/slow", params={"seconds": 1.5}, future=True)
    time.sleep(0.1)
    started = time.monotonic()
    assert zmqc.get("peer", "/v3/things/fast")["status"] == 200
    fast_took = time.monotonic() - started
    assert not slow.done()  # the fast reply came while the slow one still ran
    assert fast_took < 1.4, fast_took
    assert slow.result(10)["payload"] == {"slept": True}


def test_graceful_stop_finishes_in_flight(peer: PeerProcess, client: Any) -> None:
    client(peer={"host": "127.0.0.1", "port": peer.port, "timeout_ms": 5000})
    slow = zmqc.get("peer", "/v3/slow", params={"seconds": 1}, future=True)
    time.sleep(0.3)
    assert peer.terminate().split() == ["stopped", "True"]
    assert slow.result(10)["payload"] == {"slept": True}
    assert peer.process is not None and peer.process.returncode == 0


# -- raw pyzmq peers, no envoxy code on the other side -----------------------------
def test_raw_router_sees_the_upstream_frames(raw_router: Any, client: Any) -> None:
    reply = {
        "status": 200,
        "resource": "/v3/data-layer/cards",
        "headers": {"X-Cid": "x", "Content-Type": "application/json"},
        "payload": {"elements": [], "size": 0},
        "protocol": "ZPT/1.0",
        "performative": 7,
    }
    router = raw_router(lambda f: [*f[:-1], json.dumps(reply).encode()])
    client(raw={"host": "127.0.0.1", "port": router.port, **FAST})
    got = zmqc.get(
        "raw",
        "/v3/data-layer/cards",
        params={"page_size": 1},
        headers=[("X-Custom", "1")],
    )
    assert got == {
        "status": 200,
        "resource": "/v3/data-layer/cards",
        "headers": {"Content-Type": "application/json"},
        "payload": {"elements": [], "size": 0},
    }
    ((identity, first, second, body),) = router.received
    assert identity and first == b"" and second == b""
    message = json.loads(body)
    assert list(message) == ["resource", "headers", "params", "payload", "performative"]
    assert list(message["headers"]) == [
        "Accept",
        "Accept-Charset",
        "Date",
        "User-Agent",
        "X-Cid",
        "X-Custom",
    ]
    assert DATE.match(message["headers"]["Date"])
    assert CID.match(message["headers"]["X-Cid"])
    expected = encode_request(
        "/v3/data-layer/cards",
        0,
        {"page_size": 1},
        None,
        [("X-Custom", "1")],
        message["headers"]["X-Cid"],
        message["headers"]["Date"],
    )
    assert body == expected  # byte-identical to the codec's golden-tested output
    assert body.startswith(b'{"resource":"/v3/data-layer/cards","headers":{"Accept"')


def test_raw_req_and_dealer_talk_to_the_server(peer: PeerProcess) -> None:
    context = zmq.Context.instance()
    req = context.socket(zmq.REQ)
    req.setsockopt(zmq.RCVTIMEO, 5000)
    req.connect(f"tcp://127.0.0.1:{peer.port}")
    body = (
        b'{"resource":"/v3/things/9","headers":{"X-Cid":"abc"},'
        b'"params":null,"payload":null,"performative":0}'
    )
    req.send_multipart([b"", body])
    delimiter, reply = req.recv_multipart()
    assert delimiter == b""
    parsed = json.loads(reply)
    assert parsed["status"] == 200 and parsed["performative"] == 7
    assert parsed["headers"] == {"X-Cid": "abc"}
    req.send_multipart([b"", b"{not json"])  # malformed: a 400, the server lives
    assert json.loads(req.recv_multipart()[1])["status"] == 400
    req.send_multipart([b"", body])
    assert json.loads(req.recv_multipart()[1])["status"] == 200
    req.close(linger=0)
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.RCVTIMEO, 5000)
    dealer.connect(f"tcp://127.0.0.1:{peer.port}")
    dealer.send_multipart([b"", body])
    empty, reply = dealer.recv_multipart()
    assert empty == b"" and json.loads(reply)["payload"]["id"] == "9"
    dealer.close(linger=0)


# -- failures: bounded, typed, recoverable ---------------------------------------
def test_silent_server_gives_a_typed_error_within_the_deadline(
    raw_router: Any, client: Any
) -> None:
    router = raw_router(lambda frames: None)
    client(raw={"host": "127.0.0.1", "port": router.port, **FAST})
    started = time.monotonic()
    with pytest.raises(NoSocketException) as caught:
        zmqc.get("raw", "/v3/x")
    assert time.monotonic() - started < FAST["deadline_ms"] / 1000 + 1.0
    assert caught.value.status == 503 and isinstance(caught.value, ValidationException)
    assert len(router.received) == 3  # GET is idempotent: 1 + 2 retries
    with pytest.raises(NoSocketException):
        zmqc.post("raw", "/v3/x", payload={"a": 1})
    assert len(router.received) == 4  # POST is sent once: never duplicated


def test_garbage_reply_is_a_typed_error(raw_router: Any, client: Any) -> None:
    router = raw_router(lambda f: [*f[:-1], b"\x00garbage"])
    client(raw={"host": "127.0.0.1", "port": router.port, **FAST})
    with pytest.raises(NoSocketException, match="malformed reply"):
        zmqc.get("raw", "/v3/x")
    extra_frame = raw_router(lambda f: [*f[:-1], b"extra", b'{"status":200}'])
    client(raw={"host": "127.0.0.1", "port": extra_frame.port, **FAST})
    with pytest.raises(NoSocketException, match="framing"):
        zmqc.get("raw", "/v3/x")
    no_delimiter = raw_router(lambda f: [f[0], b'{"status":200}'])
    client(raw={"host": "127.0.0.1", "port": no_delimiter.port, **FAST})
    with pytest.raises(NoSocketException, match="no reply"):  # REQ drops it
        zmqc.get("raw", "/v3/x")


def test_unserializable_payload_fails_before_sending(
    raw_router: Any, client: Any
) -> None:
    router = raw_router(lambda f: f)
    client(raw={"host": "127.0.0.1", "port": router.port, **FAST})
    with pytest.raises(ZapataEncodeError):
        zmqc.post("raw", "/v3/x", payload={"x": object()})
    time.sleep(0.1)
    assert router.received == []


def test_server_dies_mid_request_and_comes_back(peer: PeerProcess, client: Any) -> None:
    client(peer={"host": "127.0.0.1", "port": peer.port, **FAST})
    assert zmqc.get("peer", "/v3/things/1")["status"] == 200
    slow = zmqc.get("peer", "/v3/slow", params={"seconds": 5}, future=True)
    time.sleep(0.2)
    peer.kill()
    with pytest.raises(NoSocketException):
        slow.result(10)
    peer.start()  # same port
    assert zmqc.get("peer", "/v3/things/2")["payload"]["id"] == "2"


def test_unknown_server_key_and_missing_config(client: Any) -> None:
    from envoxy.exceptions import ConfigError

    client(one={"host": "127.0.0.1", "port": 1})
    with pytest.raises(ConfigError, match="nope"):
        zmqc.get("nope", "/x")
    zmqc.shutdown()
    with pytest.raises(ConfigError):
        zmqc.initialize({})


def test_validate_response_like_upstream() -> None:
    with pytest.raises(ValidationException) as caught:
        zmqc.validate_response(None)
    assert caught.value.status == 503
    ok = {"status": 201, "resource": "/x", "payload": {}}
    assert zmqc.validate_response(ok) is ok
    with pytest.raises(ValidationException, match="Resource error, code: 404, /x"):
        zmqc.validate_response({"status": 404, "resource": "/x", "payload": {}})
    quirk = {"status": 500, "resource": "/x", "payload": {"elements": [], "_id": 1}}
    assert zmqc.validate_response(quirk) is quirk


# -- the server in this process ---------------------------------------------------
def test_server_stop_waits_for_in_flight_requests() -> None:
    release = threading.Event()

    @on(endpoint="/hold", protocols=["zmq"])
    class Hold(View):
        def get(self, request: Any) -> Any:
            release.wait(5)
            return {"held": True}

    server = ZapataServer("tcp://127.0.0.1:0", ZmqRoutes([Hold()]).reply).start()
    req = zmq.Context.instance().socket(zmq.REQ)
    req.setsockopt(zmq.RCVTIMEO, 5000)
    req.connect(server.address)
    req.send_multipart([b"", encode_request("/hold", 0)])
    deadline = time.monotonic() + 5
    while not server.in_flight and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.in_flight == 1
    stopping = threading.Thread(target=lambda: results.append(server.stop(5)))
    results: list[bool] = []
    stopping.start()
    time.sleep(0.2)
    release.set()
    assert json.loads(req.recv_multipart()[1])["payload"] == {"held": True}
    stopping.join(10)
    assert results == [True]
    req.close(linger=0)


def test_cached_routes_like_upstream(
    raw_router: Any, client: Any, tmp_path: Path
) -> None:
    from envoxy.cache.config import reset_default_store
    from envoxy.utils.config import Config

    reply = {"status": 200, "resource": "/v3/data-layer/cards/1", "payload": {"n": 1}}
    router = raw_router(lambda f: [*f[:-1], json.dumps(reply).encode()])
    conf = tmp_path / "envoxy.json"
    conf.write_text(json.dumps({"cache": {"backend": "memory"}}))
    Config.configure(conf, environ={})
    reset_default_store()
    try:
        client(
            raw={
                "host": "127.0.0.1",
                "port": router.port,
                "cached_routes": {"0:/v3/data-layer/cards": {"ttl": 60}},
                **FAST,
            }
        )
        first = zmqc.get("raw", "/v3/data-layer/cards/1")
        assert zmqc.get("raw", "/v3/data-layer/cards/1") == first
        assert len(router.received) == 1  # the second came from the cache
        zmqc.get("raw", "/v3/data-layer/cards/1", headers={"X-No-Cache": "1"})
        zmqc.get("raw", "/v3/data-layer/cards/1", params={"other": 1})
        zmqc.get("raw", "/v3/data-layer/other/1")  # not a cached route
        assert len(router.received) == 4
        zmqc.post("raw", "/v3/data-layer/cards/1")  # a POST is its own route
        assert len(router.received) == 5
    finally:
        Config.reset()
        reset_default_store()


def test_serve_zmq_views_from_config(client: Any) -> None:
    from envoxy.exceptions import ConfigError
    from envoxy.zeromq.views import serve_zmq_views

    @on(endpoint="/v3/echo/{word}", protocols=["zmq"])
    class Echo(View):
        def get(self, request: Any, word: str) -> Any:
            return [word]

    @on(endpoint="/http-only", protocols=["http"])
    class HttpOnly(View):
        def get(self, request: Any) -> Any:
            return {}

    assert serve_zmq_views([HttpOnly()], {}) is None
    with pytest.raises(ConfigError, match=r"zmq_server\.bind"):
        serve_zmq_views([Echo()], {})
    server = serve_zmq_views([Echo(), HttpOnly()], {"bind": "tcp://127.0.0.1:0"})
    try:
        port = int(server.address.rsplit(":", 1)[1])
        client(me={"host": "127.0.0.1", "port": port, **FAST})
        reply = zmqc.get("me", "/v3/echo/hi")
        assert reply["payload"] == {"elements": ["hi"], "size": 1}
        assert zmqc.get("me", "/http-only")["status"] == 404
    finally:
        assert server.stop(5)
