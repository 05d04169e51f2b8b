"""The view contract, written once: the same view class, declared for HTTP and
ZeroMQ, answers the same on both (status, payload, error code and text),
served by one real envoxyd over a real HTTP connection and a real ZeroMQ
REQ socket. Each transport only writes its own wire shape."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import zmq

from envoxy.constants import Performative
from tests.daemon import Daemon, free_port

pytestmark = pytest.mark.integration

THING = "7f6e8c3a-1b2c-4d5e-8f90-123456789abc"

VIEWS = """
from envoxy import Response, ValidationException, View, on

BOTH = ["http", "zmq"]


@on(endpoint="/v3/cards/{card_id}", protocols=["zmq", "http"])
class Card(View):  # docs/ZEROMQ.md's example, as written there
    def get(self, request, card_id):
        return {"id": card_id}


@on(endpoint="/v3/shapes/{kind}", protocols=BOTH)
class Shapes(View):
    def get(self, request, kind, **kwargs):
        if kind == "dict":
            return {"a": 1}
        if kind == "list":
            return [1, 2]
        if kind == "tuple":
            return {"made": True}, 201
        if kind == "none":
            return None
        if kind == "response":
            return Response({"via": "response"}, status=202)
        if kind == "envelope":
            return {"payload": {"x": 1}, "status": 206}
        if kind == "invalid":
            raise ValidationException("no such shape", code=1234, status=422)
        if kind == "crash":
            raise RuntimeError("the database password is hunter2")
        return {"kind": kind, "endpoint": kwargs.get("endpoint")}

    def post(self, request, kind, **kwargs):
        return {"got": request.get_json()}, 201


@on(endpoint="/v3/typed/{thing:uuid}/{n:int}/{ratio:float}", protocols=BOTH)
class Typed(View):
    def get(self, request, thing, n, ratio):
        return {
            "thing": str(thing),
            "types": [type(thing).__name__, type(n).__name__, type(ratio).__name__],
            "n": n,
            "ratio": ratio,
        }


__loader__ = [Card, Shapes, Typed]
"""


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    port = free_port()
    conf = {"zmq_server": {"bind": f"tcp://127.0.0.1:{port}"}}
    started = Daemon(tmp_path_factory.mktemp("contract"), conf, VIEWS).start()
    started.zmq_port = port  # type: ignore[attr-defined]
    yield started
    assert started.stop() == 0


def over_http(daemon: Daemon, method: str, path: str, body: Any = None) -> tuple:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://127.0.0.1:{daemon.port}{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"} if data else {},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310
            status, raw = reply.status, reply.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    payload = json.loads(raw) if raw else None
    if isinstance(payload, dict) and set(payload) == {"code", "error"}:
        text = payload["error"].split(" :: ELRC(")[0]  # HTTP adds the log ref
        payload = {"text": text, "code": payload["code"]}
    return status, payload


def over_zmq(daemon: Daemon, method: str, path: str, body: Any = None) -> tuple:
    sock = zmq.Context.instance().socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, 10_000)
    sock.connect(f"tcp://127.0.0.1:{daemon.zmq_port}")  # type: ignore[attr-defined]
    try:
        request = {
            "resource": path,
            "headers": {},
            "performative": int(Performative[method]),
            "payload": body,
        }
        sock.send_multipart([b"", json.dumps(request).encode()])
        reply = json.loads(sock.recv_multipart()[-1])
    finally:
        sock.close()
    return reply["status"], reply.get("payload")


TRANSPORTS = {"http": over_http, "zmq": over_zmq}

CASES = [
    ("GET", "/v3/cards/c1", None, 200, {"id": "c1"}),
    ("GET", "/v3/shapes/dict", None, 200, {"a": 1}),
    ("GET", "/v3/shapes/list", None, 200, {"elements": [1, 2], "size": 2}),
    ("GET", "/v3/shapes/tuple", None, 201, {"made": True}),
    ("GET", "/v3/shapes/none", None, 204, None),
    ("GET", "/v3/shapes/response", None, 202, {"via": "response"}),
    ("GET", "/v3/shapes/envelope", None, 206, {"x": 1}),
    (
        "GET",
        "/v3/shapes/other",
        None,
        200,
        {"kind": "other", "endpoint": "/v3/shapes/{kind}"},
    ),
    ("POST", "/v3/shapes/x", {"n": 1}, 201, {"got": {"n": 1}}),
    ("GET", "/v3/shapes/invalid", None, 422, {"text": "no such shape", "code": 1234}),
    (
        "GET",
        "/v3/shapes/crash",
        None,
        500,
        {"text": "Internal Server Error", "code": 0},
    ),
    (
        "GET",
        f"/v3/typed/{THING}/7/2.5",
        None,
        200,
        {"thing": THING, "types": ["UUID", "int", "float"], "n": 7, "ratio": 2.5},
    ),
    ("GET", "/v3/typed/not-a-uuid/7/2.5", None, 404, None),
    ("GET", f"/v3/typed/{THING}/seven/2.5", None, 404, None),
    ("HEAD", "/v3/shapes/dict", None, 200, None),
    ("DELETE", "/v3/shapes/dict", None, 405, None),
    ("GET", "/v3/nowhere", None, 404, None),
]


@pytest.mark.parametrize("transport", sorted(TRANSPORTS))
@pytest.mark.parametrize(
    ("method", "path", "body", "status", "payload"),
    CASES,
    ids=[f"{case[0]} {case[1]}" for case in CASES],
)
def test_one_view_means_the_same_on_every_transport(
    daemon: Daemon,
    transport: str,
    method: str,
    path: str,
    body: Any,
    status: int,
    payload: Any,
) -> None:
    got_status, got_payload = TRANSPORTS[transport](daemon, method, path, body)
    assert got_status == status, (transport, got_payload)
    if status in (404, 405):  # the texts differ by transport; the status does not
        return
    assert got_payload == payload, transport
