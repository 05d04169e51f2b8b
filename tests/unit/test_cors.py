"""enable_cors (issue 14.3): upstream's allow-all with credentials, and a
configured origin list; preflights answered before any view."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.test import Client

from envoxy import View, on
from envoxy.exceptions import ConfigError
from envoxy.http.app import EnvoxyApp
from envoxy.http.cors import CorsPolicy


@on(endpoint="/v3/things", protocols=["http"])
class Things(View):
    def get(self, request: Any, **kwargs: Any) -> Any:
        return {"things": []}

    def post(self, request: Any, **kwargs: Any) -> Any:
        return {"made": True}, 201


def client(cors: Any) -> Client:
    return Client(EnvoxyApp([Things()], cors=CorsPolicy.from_config(cors)))


PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "Authorization, Content-Type",
}


def test_upstreams_policy_echoes_any_origin_with_credentials() -> None:
    app = client(True)
    answer = app.get("/v3/things", headers={"Origin": "https://a.example"})
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == "https://a.example"
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in answer.headers.get_all("Vary")
    pre = app.options(
        "/v3/things", headers={"Origin": "https://b.example", **PREFLIGHT}
    )
    assert pre.status_code == 204 and pre.data == b""
    assert pre.headers["Access-Control-Allow-Origin"] == "https://b.example"
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    assert pre.headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type"


def test_a_configured_origin_list() -> None:
    app = client(
        {
            "origins": ["https://app.example"],
            "allow_headers": ["Authorization"],
            "expose_headers": ["X-Error"],
            "max_age": 600,
        }
    )
    ok = app.get("/v3/things", headers={"Origin": "https://app.example"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert ok.headers["Access-Control-Expose-Headers"] == "X-Error"
    other = app.get("/v3/things", headers={"Origin": "https://evil.example"})
    assert other.status_code == 200  # served: the browser refuses it
    assert "Access-Control-Allow-Origin" not in other.headers
    pre = app.options(
        "/v3/things", headers={"Origin": "https://evil.example", **PREFLIGHT}
    )
    assert "Access-Control-Allow-Origin" not in pre.headers
    pre = app.options(
        "/v3/things", headers={"Origin": "https://app.example", **PREFLIGHT}
    )
    assert pre.status_code == 204
    assert pre.headers["Access-Control-Allow-Headers"] == "Authorization"
    assert pre.headers["Access-Control-Max-Age"] == "600"


def test_without_credentials_any_origin_is_a_star() -> None:
    app = client({"credentials": False})
    answer = app.get("/v3/things", headers={"Origin": "https://a.example"})
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in answer.headers


def test_off_means_no_headers() -> None:
    for value in (None, False, "false"):
        answer = client(value).get(
            "/v3/things", headers={"Origin": "https://a.example"}
        )
        assert "Access-Control-Allow-Origin" not in answer.headers


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("yes", "enable_cors"),
        ({"origins": "x", "colour": 1}, "unknown key 'colour'"),
        ({"origins": [1]}, "enable_cors.origins"),
        ({"max_age": -1}, "enable_cors.max_age"),
        ({"credentials": "yes"}, "enable_cors.credentials"),
    ],
)
def test_a_bad_policy_is_refused(value: Any, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        CorsPolicy.from_config(value)
