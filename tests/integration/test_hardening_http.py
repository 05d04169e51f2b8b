"""Issue 12, HTTP as an adversary sends it: one real envoxyd, raw sockets and
forged tokens. Each test names the reproduction of the issue it covers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import zmq

from tests.daemon import JWT_CONF, Daemon, free_port, token
from tests.services import Service

pytestmark = pytest.mark.integration

VIEWS = """
import uuid
from pathlib import Path

from envoxy import ValidationException, View, auth_required, cache, on
from envoxy.utils.paths import safe_join


def stamp():
    return uuid.uuid4().hex


@on(endpoint="/v3/me/cached-outside", protocols=["http"])
class CachedOutside(View):
    @cache(ttl=60)
    @auth_required()
    def get(self, request, claims=None, **kwargs):
        return {"sub": claims["sub"], "n": stamp()}


@on(endpoint="/v3/me/cached-inside", protocols=["http"])
class CachedInside(View):
    @auth_required()
    @cache(ttl=60)
    def get(self, request, claims=None, **kwargs):
        return {"sub": claims["sub"], "n": stamp()}


@on(endpoint="/v3/public/{word}", protocols=["http"])
class Public(View):
    @cache(ttl=60, vary=["Accept-Language"])
    def get(self, request, word, **kwargs):
        return {
            "word": word,
            "lang": request.headers.get("Accept-Language"),
            "n": stamp(),
        }


@on(endpoint="/v3/echo", protocols=["http"])
class Echo(View):
    def post(self, request, **kwargs):
        if request.is_json:
            return {"json": request.get_json()}, 201
        return {"size": len(request.get_data())}, 201


@on(endpoint="/v3/reflect", protocols=["http"])
class Reflect(View):
    def get(self, request, **kwargs):
        args = request.args
        status = args.get("status", "200")
        return {}, status, {args["name"]: args["value"]}


@on(endpoint="/v3/items/{item_id:int}", protocols=["http"])
class Item(View):
    def get(self, request, item_id, **kwargs):
        return {"id": item_id}


@on(endpoint="/v3/odd/{kind}", protocols=["http"])
class Odd(View):
    def get(self, request, kind, **kwargs):
        if kind == "gone":
            raise ValidationException("first line\\r\\nsecond line", status=204)
        if kind == "continue":
            return {"surprise": True}, 100
        return {"stale": True}, 304


@on(endpoint="/v3/admin", protocols=["http"])
class Admin(View):
    @auth_required(roles=["admin"])
    def get(self, request, claims=None, **kwargs):
        return {"sub": claims["sub"]}


@on(endpoint="/v3/secret", protocols=["zmq"])
class Secret(View):
    @auth_required()
    def get(self, request, claims=None, **kwargs):
        return {"sub": claims["sub"]}


PUBLIC = Path(__file__).with_name("public")
PUBLIC.mkdir(exist_ok=True)
(PUBLIC / "hello.txt").write_text("hello")


@on(endpoint="/v3/files/{rest:path}", protocols=["http"])
class Files(View):
    def get(self, request, rest, **kwargs):
        return {"text": safe_join(PUBLIC, rest).read_text()}


@on(endpoint="/v3/things/{thing:uuid}", protocols=["http"])
class Thing(View):
    def get(self, request, thing, **kwargs):
        return {"thing": str(thing)}


__loader__ = [
    CachedOutside, CachedInside, Public, Echo, Reflect, Item, Odd, Admin, Secret,
    Files, Thing,
]
"""


@pytest.fixture(scope="module")
def daemon(
    tmp_path_factory: pytest.TempPathFactory, redis_service: Service
) -> Iterator[Daemon]:
    # one cache for both workers, as in production: a leak would show across them
    cache = {
        "backend": "redis",
        "bind": redis_service.address,
        "db": 5,
        "key_prefix": f"hard-{uuid.uuid4().hex[:8]}",
    }
    conf = {
        **JWT_CONF,
        "cache": cache,
        "log": {"level": 6},  # access lines (INFO)
        "zmq_server": {"bind": f"tcp://127.0.0.1:{free_port()}"},
    }
    started = Daemon(tmp_path_factory.mktemp("hard"), conf, VIEWS).start()
    yield started
    assert started.stop() == 0


def bearer(sub: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(sub=sub)}"}


@pytest.mark.parametrize("path", ["/v3/me/cached-outside", "/v3/me/cached-inside"])
def test_cached_views_never_serve_one_callers_answer_to_another(
    daemon: Daemon, path: str
) -> None:
    """12.2: @cache on an @auth_required view returned Alice's cached body to
    Bob and to a caller with no token. Both decorator orders are covered."""
    alice = bearer("alice")
    status, _, first = daemon.get(path, headers=alice)
    assert status == 200 and first["sub"] == "alice"
    status, _, again = daemon.get(path, headers=alice)
    assert again == first  # Alice's own entry is cached
    status, _, bob = daemon.get(path, headers=bearer("bob"))
    assert status == 200 and bob["sub"] == "bob" and bob["n"] != first["n"]
    status, _, anonymous = daemon.get(path)
    assert status == 401, anonymous  # authentication runs before the cache
    status, _, forged = daemon.get(path, headers={"Authorization": "Bearer x.y.z"})
    assert status == 401, forged


def test_cached_views_vary_by_route_variables_query_and_chosen_headers(
    daemon: Daemon,
) -> None:
    """12.2: what else the view reads is part of the key."""
    _, _, hello = daemon.get("/v3/public/hello")
    assert daemon.get("/v3/public/hello")[2] == hello  # cached
    assert daemon.get("/v3/public/world")[2]["word"] == "world"
    assert daemon.get("/v3/public/hello?x=1")[2]["n"] != hello["n"]
    german = daemon.get("/v3/public/hello", headers={"Accept-Language": "de"})[2]
    assert german["lang"] == "de" and german["n"] != hello["n"]


def test_a_body_over_the_limit_is_a_413_not_a_reset(daemon: Daemon) -> None:
    """12 (also): bodies over 16 MiB sent without Expect: 100-continue
    sometimes got a connection reset instead of the 413."""
    body = b"x" * (16 * 1024 * 1024 + 1)
    for _ in range(3):
        status, headers, reply = daemon.request("POST", "/v3/echo", body)
        assert status == 413, reply
        assert reply["code"] == 413 and headers["Connection"] == "close"
    assert daemon.request("POST", "/v3/echo", b"ok")[0] == 201


@pytest.mark.parametrize("depth", [990, 100_000])
def test_deeply_nested_json_is_a_400(daemon: Daemon, depth: int) -> None:
    """12.10: 990+ levels of nesting were a 500 with a traceback each."""
    body = b"[" * depth + b"]" * depth
    headers = {"Content-Type": "application/json"}
    status, _, reply = daemon.request("POST", "/v3/echo", body, headers)
    assert status == 400 and "nested deeper than 64 levels" in reply["error"]
    assert "Traceback" not in daemon.log.read_text()


def access_lines(daemon: Daemon, path: str) -> list[dict[str, object]]:
    return [
        json.loads(line)
        for line in daemon.log.read_text().splitlines()
        if line.startswith("{") and f'"path":"{path}"' in line
    ]


@pytest.mark.parametrize(
    "query",
    [
        "name=X-Evil%0D%0ASet-Cookie&value=1",  # CR/LF in a header name
        "name=X-Ok&value=a%00b",  # NUL in a value
        "name=X-Ok&value=a%0D%0ASet-Cookie:%20x=1",
        "name=X-Ok&value=1&status=200%20OK%0D%0ASet-Cookie:%20x=1",  # status text
    ],
)
def test_header_and_status_line_injection_is_refused(
    daemon: Daemon, query: str
) -> None:
    """12.8: header names and the status text were not checked for CR/LF,
    and NUL passed in values. A view that would send them is a 500 (its
    bug), and nothing it tried to inject reaches the client."""
    request = f"GET /v3/reflect?{query} HTTP/1.1\r\nHost: t\r\nConnection: close"
    raw = daemon.raw(f"{request}\r\n\r\n".encode())
    head = raw.partition(b"\r\n\r\n")[0]
    assert head.startswith(b"HTTP/1.1 500"), raw[:300]
    assert b"Set-Cookie" not in head and b"\x00" not in head
    assert b"Internal Server Error :: ELRC(" in raw


def test_every_request_gets_a_json_answer_and_a_log_line(daemon: Daemon) -> None:
    """12.9: these escaped the app: the client got no response and there was
    no access-log line."""
    huge = "9" * 4301  # past Python's int-from-string limit: no such item
    status, _, body = daemon.get(f"/v3/items/{huge}")
    assert status == 404 and body["code"] == 404
    status, headers, body = daemon.get("/v3/odd/gone")  # 204 error, CR/LF text
    assert status == 204 and body is None
    assert headers["X-Error-Msg"] == "first line  second line"
    status, _, body = daemon.get("/v3/odd/continue")  # a 100 with a body
    assert status == 500 and body["error"].startswith("Internal Server Error")
    status, headers, body = daemon.get("/v3/odd/not-modified")  # 304 with a body
    assert status == 304 and body is None and "Content-Length" not in headers
    assert [line["status"] for line in access_lines(daemon, "/v3/odd/continue")] == [
        500
    ]
    assert access_lines(daemon, f"/v3/items/{huge}")[0]["status"] == 404


@pytest.mark.parametrize(
    ("roles", "status"),
    [
        ({"admin": False}, 403),  # 12.13: an object's keys granted its roles
        ({"admin": True}, 403),
        ([{"admin": True}], 403),
        ([["admin"]], 403),
        (7, 403),
        ("admin other", 200),
        (["reader", "admin"], 200),
    ],
)
def test_only_role_names_grant_roles(
    daemon: Daemon, roles: object, status: int
) -> None:
    got, _, body = daemon.get(
        "/v3/admin", headers={"Authorization": f"Bearer {token(roles=roles)}"}
    )
    assert got == status, body


def test_large_tokens_get_an_answer_not_a_closed_connection(daemon: Daemon) -> None:
    """12.13: a 40 KB token closed the connection instead of a 401/431."""
    big = "Bearer " + "a" * 40_000
    status, _, body = daemon.get("/v3/admin", headers={"Authorization": big})
    assert status == 431 and body["code"] == 431
    forged = "Bearer " + "b" * 9_000 + "." + "c" * 9_000 + ".d"
    status, _, body = daemon.get("/v3/admin", headers={"Authorization": forged})
    assert status == 431, body
    fits = "Bearer " + "x" * 15_000
    assert daemon.get("/v3/admin", headers={"Authorization": fits})[0] == 401


@pytest.mark.parametrize("authorization", [12345, {"Bearer": "x"}, ["Bearer x"], True])
def test_a_non_string_authorization_over_zeromq_is_a_401(
    daemon: Daemon, authorization: object
) -> None:
    """12.13: a non-string Authorization on a ZeroMQ @auth_required view was a
    500 instead of 401."""
    port = int(daemon.conf["zmq_server"]["bind"].rsplit(":", 1)[1])
    reply = zapata(port, {"Authorization": authorization})
    assert reply["status"] == 401, reply
    good = zapata(port, {"Authorization": f"Bearer {token(sub='zed')}"})
    assert good["status"] == 200 and good["payload"] == {"sub": "zed"}


def zapata(port: int, headers: dict[str, object]) -> dict[str, object]:
    sock = zmq.Context.instance().socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, 5000)
    sock.connect(f"tcp://127.0.0.1:{port}")
    try:
        request = {"resource": "/v3/secret", "headers": headers, "performative": 0}
        sock.send_multipart([b"", json.dumps(request).encode()])
        return json.loads(sock.recv_multipart()[-1])  # type: ignore[no-any-return]
    finally:
        sock.close()


@pytest.mark.parametrize(
    "path",
    [
        "/v3/files/..%2F..%2Fenvoxy.json",  # decoded to ../../envoxy.json
        "/v3/files/%2E%2E/envoxy.json",
        "/v3/files//etc/passwd",
        "/v3/files/%2Fetc%2Fpasswd",
    ],
)
def test_path_variables_stay_inside_their_folder(daemon: Daemon, path: str) -> None:
    """12 (also): {rest:path} receives decoded ../ and absolute paths;
    envoxy.utils.paths.safe_join keeps them in the folder (a 404 otherwise)."""
    assert daemon.get("/v3/files/hello.txt")[2] == {"text": "hello"}
    status, _, body = daemon.get(path)
    assert status == 404 and body["code"] == 404


@pytest.mark.parametrize(
    "text",
    [
        "%7B7f6e8c3a-1b2c-4d5e-8f90-123456789abc%7D",
        "urn:uuid:7f6e8c3a-1b2c-4d5e-8f90-123456789abc",
        "7f6e8c3a1b2c4d5e8f90123456789abc",
    ],
)
def test_uuid_variables_take_the_canonical_form_only(daemon: Daemon, text: str) -> None:
    good = "7f6e8c3a-1b2c-4d5e-8f90-123456789abc"
    assert daemon.get(f"/v3/things/{good}")[2] == {"thing": good}
    assert daemon.get(f"/v3/things/{text}")[0] == 404
