"""A real envoxyd (uWSGI) process on a free loopback port, talked to over HTTP."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import zmq

from tests.daemon import ENVOXYD, JWT_CONF, VIEWS, Daemon, free_port, token


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    zmq_port = free_port()
    started = Daemon(
        tmp_path_factory.mktemp("svc"),
        {**JWT_CONF, "zmq_server": {"bind": f"tcp://127.0.0.1:{zmq_port}"}},
    ).start()
    started.zmq_port = zmq_port  # type: ignore[attr-defined]
    yield started
    assert started.stop() == 0


def test_routes_and_typed_variables(daemon: Daemon) -> None:
    status, headers, body = daemon.get("/v3/items/5?x=1")
    assert status == 200 and body == {"id": 5, "q": {"x": "1"}}
    assert headers["Content-Type"] == "application/json"
    assert headers["Server"] == "Envoxy Server"
    assert daemon.get("/v3/items/abc")[0] == 404  # int converter refuses: no route
    thing = "7f6e8c3a-1b2c-4d5e-8f90-123456789abc"
    assert daemon.get(f"/v3/things/{thing}/files/a/b.txt")[2] == {
        "elements": [thing, "a/b.txt"],
        "size": 2,
    }
    status, _, body = daemon.request(
        "PUT", "/v3/items/9", b'{"n": 1}', {"Content-Type": "application/json"}
    )
    assert status == 201 and body == {"id": 9, "body": {"n": 1}}


def test_errors_are_json_and_the_daemon_keeps_serving(daemon: Daemon) -> None:
    status, headers, body = daemon.get("/v3/items/0")
    assert status == 422 and headers["X-Error"] == "1234"
    assert body["code"] == 1234 and body["error"].startswith(
        "zero is not an item :: ELRC("
    )
    status, _, body = daemon.get("/v3/boom")
    assert status == 500 and "hunter2" not in json.dumps(body)
    assert body["error"].startswith("Internal Server Error :: ELRC(")
    status, _, body = daemon.get("/nowhere")
    assert status == 404 and body["code"] == 404
    status, headers, _ = daemon.request("DELETE", "/v3/items/1")
    assert status == 405 and "GET" in headers["Allow"]
    assert daemon.get("/v3/items/1")[0] == 200


def test_malformed_body_is_a_400(daemon: Daemon) -> None:
    status, _, body = daemon.request(
        "PUT", "/v3/items/1", b"{not json", {"Content-Type": "application/json"}
    )
    assert status == 400 and body["code"] == 400
    assert daemon.get("/v3/items/1")[0] == 200


def _bearer(**claims: Any) -> Callable[[], dict[str, str]]:
    """Headers with a token minted when the test runs (not at collection:
    on a slow run the default 300 s expiry passed before the test did)."""
    return lambda: {"Authorization": f"Bearer {token(**claims)}"}


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (dict, 401),
        (lambda: {"Authorization": "Bearer not-a-jwt"}, 401),
        (lambda: {"Authorization": f"Bearer {token(exp=int(time.time()) - 60)}"}, 401),
        (_bearer(aud="someone-else"), 401),
        (_bearer(roles=["reader"]), 403),
        (_bearer(), 200),
    ],
    ids=["missing", "garbage", "expired", "audience", "wrong-role", "valid"],
)
def test_jwt_auth(
    daemon: Daemon, headers: Callable[[], dict[str, str]], status: int
) -> None:
    got, _, body = daemon.get("/v3/admin", headers=headers())
    assert got == status, body
    if status == 200:
        assert body == {"sub": "user-1"}


def test_health_and_readiness(daemon: Daemon) -> None:
    """Every worker reports the events worker's Zapata server (shared status)."""
    assert daemon.get("/_health")[2] == {"status": "healthy", "service": "envoxy"}
    for _ in range(6):
        status, _, body = daemon.get("/_health/ready")
        assert status == 200, body
        assert body["checks"]["zmq_server"]["ok"] is True


def test_zmq_views_are_served_by_the_daemon(daemon: Daemon) -> None:
    socket_ = zmq.Context.instance().socket(zmq.REQ)
    socket_.setsockopt(zmq.RCVTIMEO, 5000)
    socket_.connect(f"tcp://127.0.0.1:{daemon.zmq_port}")  # type: ignore[attr-defined]
    socket_.send_multipart(
        [b"", b'{"resource":"/v3/echo/hi","headers":{},"performative":0}']
    )
    reply = json.loads(socket_.recv_multipart()[1])
    socket_.close(linger=0)
    assert reply["status"] == 200 and reply["payload"] == {"word": "hi"}


def test_readiness_reports_a_connector_down(tmp_path: Path) -> None:
    """A second daemon: one required connector (Redis on a dead port) down."""
    dead = free_port()
    conf = {
        **JWT_CONF,
        "redis_servers": {"down": {"bind": f"127.0.0.1:{dead}"}},
        "zmq_server": {"bind": f"tcp://127.0.0.1:{free_port()}"},
    }
    daemon = Daemon(tmp_path, conf).start()
    try:
        status, _, body = daemon.get("/_health/ready")
        assert status == 503 and body["status"] == "unavailable"
        assert body["checks"]["redis_servers.down"]["ok"] is False
        assert daemon.get("/_health")[0] == 200  # alive, just not ready
    finally:
        assert daemon.stop() == 0


def test_readiness_answers_in_time_when_a_database_hangs(tmp_path: Path) -> None:
    """PostgreSQL that accepts TCP and never answers: pgsqlc's connect alone
    would wait 5 s per attempt; the probe reports a timeout within its bound."""
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(16)  # the kernel completes handshakes; nobody ever reads
        host, port = hung.getsockname()
        conf = {
            **JWT_CONF,
            "psql_servers": {
                "hung": {"host": host, "port": port, "db": "x", "user": "x"}
            },
            "zmq_server": {"bind": f"tcp://127.0.0.1:{free_port()}"},
        }
        daemon = Daemon(tmp_path, conf).start()
        try:
            for _ in range(2):  # the second probe finds the first check running
                status, _, body = daemon.get("/_health/ready", timeout=4)
                assert status == 503
                check = body["checks"]["psql_servers.hung"]
                assert check == {"ok": False, "error": "timeout", "required": True}
        finally:
            assert daemon.stop() == 0


def test_sigterm_drains_in_flight_requests(tmp_path: Path) -> None:
    zmq_server = {"bind": f"tcp://127.0.0.1:{free_port()}"}
    conf = {**JWT_CONF, "zmq_server": zmq_server, "log": {"level": 6}}
    daemon = Daemon(tmp_path, conf).start()
    results: list[Any] = []

    def slow() -> None:
        results.append(daemon.get("/v3/slow?s=2")[:1])

    callers = [threading.Thread(target=slow) for _ in range(2)]
    for caller in callers:
        caller.start()
    time.sleep(0.5)
    assert daemon.process is not None
    daemon.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    # the drain answers what comes meanwhile too; readiness sends traffic away
    assert daemon.get("/v3/items/1", timeout=5)[0] == 200
    assert daemon.get("/_health/ready", timeout=5)[0] == 503
    for caller in callers:
        caller.join(20)
    assert results == [(200,), (200,)]
    assert daemon.process.wait(30) == 0
    text = daemon.log.read_text()
    assert "worker stopped cleanly" in text
    access = [
        json.loads(line)
        for line in text.splitlines()
        if line.startswith("{") and '"path":"/v3/slow"' in line
    ]
    assert len(access) == 2  # one JSON line per request, with its own fields
    assert {(a["method"], a["status"]) for a in access} == {("GET", 200)}
    assert all(a["duration_ms"] >= 1000 for a in access)


def test_router_reaches_the_workers_over_a_private_unix_socket(tmp_path: Path) -> None:
    conf = {**JWT_CONF, "zmq_server": {"bind": f"tcp://127.0.0.1:{free_port()}"}}
    daemon = Daemon(tmp_path, conf).start()
    assert daemon.process is not None
    found = re.search(
        r"bound to UNIX address (\S+envoxyd-(\d+)-[0-9a-f]{8}\.sock)",
        daemon.log.read_text(),
    )
    assert found, "the router's backend is not a UNIX socket"
    path = Path(found[1])
    assert int(found[2]) == daemon.process.pid  # the CLI's pid, kept through exec
    assert path.is_socket() and path.parent.stat().st_mode & 0o777 == 0o700
    assert daemon.get("/v3/items/5")[0] == 200
    assert daemon.stop() == 0
    assert not path.exists() and not path.parent.exists()  # both removed at exit


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing-conf", "no such file"),
        ("broken-module", "failed to load"),
        ("auth-without-backend", "no auth backend is configured"),
        ("bad-config", "log"),
        ("zmq-without-bind", "zmq_server.bind"),
    ],
)
def test_bad_boot_fails_with_a_clear_message(
    tmp_path: Path, setup: str, message: str
) -> None:
    conf: dict[str, Any] = {**JWT_CONF, "zmq_server": {"bind": "tcp://127.0.0.1:1"}}
    views = VIEWS
    if setup == "auth-without-backend":
        conf.pop("auth")
    if setup == "zmq-without-bind":
        conf.pop("zmq_server")
    if setup == "broken-module":
        views = "def broken(:\n"
    if setup == "bad-config":
        conf["log"] = {"level": "loud"}
    daemon = Daemon(tmp_path, conf, views)
    command = daemon.command()
    if setup == "missing-conf":
        command[command.index("--set") + 1] = f"conf={tmp_path / 'nope.json'}"
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2, done.stderr
    assert message in done.stderr


def test_version_flag() -> None:
    assert ENVOXYD
    done = subprocess.run(
        [ENVOXYD, "--version"], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.startswith("envoxyd ") and "compiled:" in done.stdout


def test_test_mode_serves_the_root(tmp_path: Path) -> None:
    daemon = Daemon(tmp_path, {})  # no conf file needed in test mode
    command = daemon.command()
    command[command.index("--set") + 1] = "mode=test"
    daemon.command = lambda: command  # type: ignore[method-assign]
    daemon.start()
    try:
        status, _, body = daemon.get("/")
        assert status == 200 and body == b"ENVOXY Working!"
    finally:
        assert daemon.stop() == 0


MQTT_VIEWS = """
import json
from pathlib import Path

from envoxy import View, on

OUT = Path(__file__).with_name("events.jsonl")


@on(endpoint="envoxyd-test/{device}/state", protocols=["mqtt"], server="local")
class States(View):
    def on_event(self, data, **kwargs):
        with OUT.open("a") as out:
            event = {"data": data, "device": kwargs.get("device")}
            out.write(json.dumps(event) + "\\n")


__loader__ = [States]
"""


def test_mqtt_views_run_in_the_daemon(tmp_path: Path, mosquitto_service: Any) -> None:
    """One events worker subscribes; a message is handled once; readiness shows it."""
    import paho.mqtt.publish as publish

    conf = {"mqtt_servers": {"local": {"bind": f"mqtt://{mosquitto_service.address}"}}}
    daemon = Daemon(tmp_path, conf, MQTT_VIEWS).start()
    try:
        deadline = time.monotonic() + 15
        while True:  # the events worker connects and subscribes after the fork
            status, _, body = daemon.get("/_health/ready")
            check = body["checks"].get("mqtt_servers.local", {})
            if status == 200 and check.get("subscriptions") == 1:
                break
            assert time.monotonic() < deadline, body
            time.sleep(0.2)
        host, port = mosquitto_service.host, mosquitto_service.port
        publish.single(
            "envoxyd-test/d7/state", '{"on": true}', qos=1, hostname=host, port=port
        )
        events = tmp_path / "events.jsonl"
        deadline = time.monotonic() + 10
        while not events.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # a second worker handling it too would show up by now
        lines = events.read_text().splitlines()
        assert [json.loads(line) for line in lines] == [
            {"data": {"on": True}, "device": "d7"}
        ]
    finally:
        assert daemon.stop() == 0


def test_packages_are_loaded_from_their_loader(tmp_path: Path) -> None:
    package = tmp_path / "cardsvc"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "views.py").write_text(VIEWS)
    (package / "loader.py").write_text(
        "from cardsvc.views import Item\n__loader__ = [Item]\n"
    )
    daemon = Daemon(tmp_path, {"packages": ["cardsvc"]})
    conf = json.loads((tmp_path / "envoxy.json").read_text())
    del conf["modules"]  # modules and packages together are refused
    (tmp_path / "envoxy.json").write_text(json.dumps(conf))
    daemon.start()
    try:
        assert daemon.get("/v3/items/3")[2] == {"id": 3, "q": {}}
        assert daemon.get("/v3/slow")[0] == 404  # not in this package's loader
    finally:
        assert daemon.stop() == 0
