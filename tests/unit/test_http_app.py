"""EnvoxyApp as a WSGI callable: routing, converters, returns and error replies."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from werkzeug.test import Client

from envoxy import Response, ValidationException, View, on
from envoxy.exceptions import ConfigError
from envoxy.http.app import EnvoxyApp
from envoxy.http.limits import HttpLimits
from envoxy.routing import parse_endpoint


@on(endpoint="/v3/cards/{card_id:int}", protocols=["http"])
class Card(View):
    def get(self, request: Any, card_id: int, **kwargs: Any) -> Any:
        return {"id": card_id, "type": type(card_id).__name__, "ep": kwargs["endpoint"]}

    def put(self, request: Any, card_id: int, **kwargs: Any) -> Any:
        body = request.get_json()
        if not body:
            raise ValidationException("empty", code=9, status="422")
        return body, 202, {"X-Extra": "1"}

    def delete(self, request: Any, card_id: int, **kwargs: Any) -> Any:
        return None


@on(endpoint="/v3/cards/special", protocols=["http"])
class Special(View):
    def get(self, request: Any, **kwargs: Any) -> Any:
        return Response({"payload": [1, 2], "status": 206})


@on(endpoint="/v3/ids/{ident:uuid}/{ratio:float}/{rest:path}", protocols=["http"])
class Typed(View):
    def get(
        self, request: Any, ident: Any, ratio: Any, rest: str, **kwargs: Any
    ) -> Any:
        return [str(ident), ratio, rest]


@on(endpoint="/v3/crash", protocols=["http"])
class Crash(View):
    def get(self, request: Any, **kwargs: Any) -> Any:
        raise KeyError("secret-token")


@on(endpoint="/v3/gone", protocols=["http"])
class Gone(View):
    def get(self, request: Any, **kwargs: Any) -> Any:
        raise ValidationException("nothing here", code=7, status=204)


@on(endpoint="/topic/{x}", protocols=["mqtt"], server="s")
class MqttOnly(View):
    def on_event(self, data: Any, **kwargs: Any) -> None:
        return None


@pytest.fixture
def client() -> Client:
    app = EnvoxyApp([Card(), Special(), Typed(), Crash(), Gone(), MqttOnly()])
    return Client(app)


def test_int_variable_and_endpoint_kwarg(client: Client) -> None:
    reply = client.get("/v3/cards/12")
    assert reply.status_code == 200
    assert reply.json == {"id": 12, "type": "int", "ep": "/v3/cards/{card_id:int}"}


def test_literal_route_after_a_variable_one(client: Client) -> None:
    reply = client.get("/v3/cards/special")  # "special" is no int: the next route
    assert reply.status_code == 206 and reply.json == {"elements": [1, 2], "size": 2}


def test_uuid_float_and_path(client: Client) -> None:
    ident = uuid.uuid4()
    reply = client.get(f"/v3/ids/{ident}/1.5/a/b/c.txt")
    assert reply.json == {"elements": [str(ident), 1.5, "a/b/c.txt"], "size": 3}
    assert client.get("/v3/ids/not-a-uuid/1.5/a").status_code == 404
    assert client.get(f"/v3/ids/{ident}/1/a").status_code == 404  # 1 is no float
    assert client.get(f"/v3/ids/{ident}/1.5/").status_code == 404  # empty path


def test_tuple_return_none_and_headers(client: Client) -> None:
    reply = client.put("/v3/cards/1", json={"a": 1})
    assert reply.status_code == 202 and reply.headers["X-Extra"] == "1"
    assert client.delete("/v3/cards/1").status_code == 204


def test_validation_error_shape(client: Client) -> None:
    reply = client.put("/v3/cards/1", json={})
    assert reply.status_code == 422 and reply.headers["X-Error"] == "9"
    assert reply.json["code"] == 9
    assert reply.json["error"].startswith("empty :: ELRC(")


def test_unexpected_error_hides_its_text(client: Client) -> None:
    reply = client.get("/v3/crash")
    assert reply.status_code == 500 and reply.json["code"] == 0
    assert "secret-token" not in reply.get_data(as_text=True)


def test_204_error_like_upstream(client: Client) -> None:
    reply = client.get("/v3/gone")
    assert reply.status_code == 204 and reply.headers["X-Error-Msg"] == "nothing here"


def test_404_405_head_options(client: Client) -> None:
    assert client.get("/nope").json == {
        "code": 404,
        "error": "Resource not found: /nope",
    }
    refused = client.post("/v3/cards/1")
    assert refused.status_code == 405
    assert refused.headers["Allow"] == "DELETE, GET, HEAD, PUT, OPTIONS"
    head = client.head("/v3/cards/1")
    assert head.status_code == 200 and head.get_data() == b""
    options = client.options("/v3/cards/1")
    assert options.status_code == 204 and "PUT" in options.headers["Allow"]
    assert client.get("/topic/x").status_code == 404  # an MQTT-only view


def test_malformed_json_and_too_large_bodies(client: Client) -> None:
    bad = client.put("/v3/cards/1", data=b"{", content_type="application/json")
    assert bad.status_code == 400 and bad.json["code"] == 400
    small = Client(EnvoxyApp([Card()], limits=HttpLimits(max_body_bytes=10)))
    big = small.put(
        "/v3/cards/1", data=b"[" + b"1," * 20 + b"1]", content_type="application/json"
    )
    assert big.status_code == 413 and big.headers["Connection"] == "close"
    fits = small.put("/v3/cards/1", data=b"[1,2]", content_type="application/json")
    assert fits.status_code == 202


@pytest.mark.parametrize("depth", [65, 990, 5000, 100_000])
def test_deeply_nested_json_is_a_400(client: Client, depth: int) -> None:
    """12.10: 990+ levels were a 500 with a traceback per request."""
    for opening, closing in ((b"[", b"]"), (b'{"a":', b"}")):
        body = opening * depth + b"1" + closing * depth
        reply = client.put("/v3/cards/1", data=body, content_type="application/json")
        assert reply.status_code == 400, reply.json
        assert "nested deeper than 64" in reply.json["error"]
    ok = b"[" * 64 + b"1" + b"]" * 64
    assert client.put("/v3/cards/1", data=ok, content_type="application/json").json


@pytest.mark.parametrize("declared", ["3x", "-3", " 3", "³"])
def test_a_malformed_content_length_is_a_400(declared: str) -> None:
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    environ = EnvironBuilder(
        "/v3/cards/1", method="PUT", data=b"[1]", content_type="application/json"
    ).get_environ()
    environ["CONTENT_LENGTH"] = declared
    body, status, _ = run_wsgi_app(EnvoxyApp([Card()]), environ)
    assert status.startswith("400"), status
    assert b"Content-Length" in b"".join(body)


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ("v3/no-slash", "must start with '/'"),
        ("/v3/{x:nope}", "unknown type"),
        ("/v3/{rest:path}/more", "must be the last"),
        ("/v3/{bad-name}", "bad variable"),
        ("/v3/+", "not a valid level"),
    ],
)
def test_bad_endpoints_fail_at_boot(endpoint: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_endpoint(endpoint)


def test_many_routes_still_resolve() -> None:
    views = []
    for index in range(2000):

        @on(endpoint=f"/v3/r{index}/{{item_id:int}}", protocols=["http"])
        class Many(View):
            def get(self, request: Any, item_id: int, **kwargs: Any) -> Any:
                return {"item": item_id}

        views.append(Many())
    client = Client(EnvoxyApp(views))
    assert client.get("/v3/r1999/5").json == {"item": 5}


def test_priority_lanes_cap_concurrency() -> None:
    import threading

    release = threading.Event()
    entered = threading.Event()

    @on(endpoint="/v3/report", protocols=["http"], priority="low")
    class Report(View):
        def get(self, request: Any, **kwargs: Any) -> Any:
            entered.set()
            release.wait(10)
            return {"report": True}

    @on(endpoint="/v3/ping", protocols=["http"], priority="high")
    class Ping(View):
        def get(self, request: Any, **kwargs: Any) -> Any:
            return {"pong": True}

    app = EnvoxyApp([Report(), Ping()], lanes={"low": 1, "high": 4})
    first: list[int] = []
    worker = threading.Thread(
        target=lambda: first.append(Client(app).get("/v3/report").status_code)
    )
    worker.start()
    assert entered.wait(10)
    busy = Client(app).get("/v3/report")
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
    assert busy.json["error"] == "Busy: the low priority lane is full"
    assert Client(app).get("/v3/ping").status_code == 200  # another lane is free
    release.set()
    worker.join(10)
    assert first == [200]
    assert Client(app).get("/v3/report").status_code == 200  # the slot came back


def test_unknown_priority_fails_at_boot() -> None:
    @on(endpoint="/v3/x", protocols=["http"], priority="urgent")
    class Urgent(View):
        def get(self, request: Any, **kwargs: Any) -> Any:
            return {}

    with pytest.raises(ConfigError, match="priority must be one of high, medium, low"):
        EnvoxyApp([Urgent()])


def test_int_and_float_take_ascii_digits_only() -> None:
    from envoxy.routing import CONVERTERS, NoMatch

    for text in ("12\n", "\u0663", "+3", " 3", "3_0", "", "-1"):
        with pytest.raises(NoMatch):
            CONVERTERS["int"](text)
    for text in ("1.5\n", "1.", ".5", "1e3", "nan", "1.5 "):
        with pytest.raises(NoMatch):
            CONVERTERS["float"](text)
    assert CONVERTERS["int"]("007") == 7 and CONVERTERS["float"]("0.25") == 0.25


@pytest.mark.parametrize(
    "environ",
    [
        {"REQUEST_METHOD": "post", "PATH_INFO": "/a/b", "QUERY_STRING": "x=1&x=2"},
        {"REQUEST_METHOD": "GET", "PATH_INFO": "", "SCRIPT_NAME": "/root/"},
        {"PATH_INFO": "/caf\xc3\xa9", "HTTP_COOKIE": "k=v; a=b", "REMOTE_ADDR": "::1"},
    ],
)
def test_lazy_request_reads_like_werkzeug(environ: dict[str, Any]) -> None:
    import io

    from werkzeug.wrappers import Request

    from envoxy.http.app import EnvoxyRequest

    def fresh() -> dict[str, Any]:
        body = b'{"n": 1}'
        return {
            "SERVER_NAME": "svc",
            "SERVER_PORT": "8080",
            "wsgi.url_scheme": "http",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            **environ,
        }

    ours, theirs = EnvoxyRequest(fresh()), Request(fresh())
    names = ("method", "path", "full_path", "root_path", "url", "args", "cookies")
    for name in names:
        assert getattr(ours, name) == getattr(theirs, name), name
    assert dict(ours.headers) == dict(theirs.headers)
    assert ours.remote_addr == theirs.remote_addr and ours.server == theirs.server
    assert ours.is_json and ours.get_json() == theirs.get_json() == {"n": 1}
    assert ours.environ["werkzeug.request"] is ours
    with pytest.raises(AttributeError):
        ours.no_such_attribute  # noqa: B018
