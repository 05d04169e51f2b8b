"""@auth_required: the JWT backend (HS256, RS256) and upstream's plugin contract."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.test import Client

from envoxy import View, auth_required, on
from envoxy.auth.backends import get_topic, reset_backend
from envoxy.exceptions import ConfigError
from envoxy.http.app import EnvoxyApp
from envoxy.utils.config import Config


@on(endpoint="/v3/reports/{report_id:int}", protocols=["http"])
class Reports(View):
    @auth_required(roles=["manager", "admin"])
    def get(self, request: Any, report_id: int, **kwargs: Any) -> Any:
        return {
            "id": report_id,
            "claims": kwargs.get("claims"),
            "user": kwargs.get("user"),
        }


@pytest.fixture
def configure(tmp_path: Path) -> Iterator[Any]:
    def apply(conf: dict[str, Any]) -> Client:
        path = tmp_path / "envoxy.json"
        path.write_text(json.dumps(conf))
        Config.configure(path, environ={})
        reset_backend()
        return Client(EnvoxyApp([Reports()]))

    yield apply
    Config.reset()
    reset_backend()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_hs256_roles_and_expiry(configure: Any) -> None:
    client = configure({"auth": {"jwt": {"secret": "s" * 32}}})
    good = jwt.encode(
        {"sub": "u", "roles": "admin other", "exp": time.time() + 60}, "s" * 32
    )
    reply = client.get("/v3/reports/3", headers=bearer(good))
    assert reply.status_code == 200 and reply.json["claims"]["sub"] == "u"
    reader = jwt.encode(
        {"sub": "u", "roles": ["reader"], "exp": time.time() + 60}, "s" * 32
    )
    assert client.get("/v3/reports/3", headers=bearer(reader)).status_code == 403
    old = jwt.encode({"sub": "u", "roles": ["admin"], "exp": time.time() - 5}, "s" * 32)
    expired = client.get("/v3/reports/3", headers=bearer(old))
    assert expired.status_code == 401 and "expired" in expired.json["error"]
    no_exp = jwt.encode({"sub": "u", "roles": ["admin"]}, "s" * 32)
    assert client.get("/v3/reports/3", headers=bearer(no_exp)).status_code == 401
    forged = jwt.encode(
        {"sub": "u", "roles": ["admin"], "exp": time.time() + 60}, "x" * 32
    )
    assert client.get("/v3/reports/3", headers=bearer(forged)).status_code == 401
    assert client.get("/v3/reports/3").status_code == 401


def test_rs256_with_a_public_key_file(configure: Any, tmp_path: Path) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "public.pem").write_bytes(public_pem)
    client = configure(
        {
            "auth": {
                "jwt": {
                    "public_key_file": str(tmp_path / "public.pem"),
                    "algorithms": ["RS256"],
                    "issuer": "https://id.example",
                }
            }
        }
    )
    claims = {
        "sub": "r",
        "roles": ["manager"],
        "iss": "https://id.example",
        "exp": time.time() + 60,
    }
    token = jwt.encode(claims, private, algorithm="RS256")
    assert client.get("/v3/reports/1", headers=bearer(token)).status_code == 200
    hs = "x.y.z"
    assert client.get("/v3/reports/1", headers=bearer(hs)).status_code == 401
    wrong_issuer = jwt.encode(
        {**claims, "iss": "https://evil"}, private, algorithm="RS256"
    )
    assert client.get("/v3/reports/1", headers=bearer(wrong_issuer)).status_code == 401


def test_upstream_plugin_contract(configure: Any, tmp_path: Path) -> None:
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    (plugin / "auth.py").write_text(
        "from envoxy import ValidationException\n"
        "class Auth:\n"
        "    def authenticate(self, request, topic, **kwargs):\n"
        "        if request.headers.get('X-Key') != 'k':\n"
        "            raise ValidationException('denied', code=401, status=401)\n"
        "        return {'user': topic}\n"
        "    def anonymous(self, request, topic, **kwargs):\n"
        "        return {}\n"
    )
    client = configure({"plugins": {"auth": str(plugin)}})
    reply = client.get("/v3/reports/8", headers={"X-Key": "k"})
    assert reply.status_code == 200 and reply.json["user"] == "/v3/reports/{report_id}"
    assert client.get("/v3/reports/8").status_code == 401


def test_no_backend_fails_at_boot(configure: Any) -> None:
    with pytest.raises(ConfigError, match="no auth backend is configured"):
        configure({})


def test_get_topic() -> None:
    assert get_topic("/v3/a/{id:int}/b/{name}") == "/v3/a/{id}/b/{name}"
