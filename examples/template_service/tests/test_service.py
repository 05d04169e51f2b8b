"""The template service tested in process: no daemon, no broker. HTTP goes
through envoxy's WSGI app, Zapata through the real envelope codec and the
same routing table the daemon's ZeroMQ server uses, MQTT straight into the
view's on_event. Each test gets a fresh migrated SQLite database."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from envoxy import ValidationException
from envoxy.constants import Performative
from envoxy.http.app import EnvoxyApp
from envoxy.utils.config import Config
from envoxy.zeromq.codec import decode_reply, encode_request
from envoxy.zeromq.routes import ZmqRoutes

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def views(tmp_path: Path) -> list[Any]:
    database = f"sqlite:///{tmp_path / 'devices.db'}"
    env = {**os.environ, "SERVICE_MODELS": "models", "SERVICE_DB_URL": database}
    subprocess.run(  # the schema as production gets it: the migrations
        [sys.executable, "-m", "envoxy.tools.alembic.alembic", "upgrade", "head"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    conf = tmp_path / "envoxy.json"
    conf.write_text(
        json.dumps({"boot": [{"name": "devices"}], "devices": {"database": database}})
    )
    Config.configure(conf, environ={})
    spec = importlib.util.spec_from_file_location("template_views", ROOT / "views.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield [view() for view in module.__loader__]
    module.manager.engine.dispose()
    Config.reset()


def test_http_create_read_delete(views: list[Any]) -> None:
    client = Client(EnvoxyApp(views))
    created = client.post("/v1/devices", json={"name": "lamp"})
    assert created.status_code == 201
    device = created.json
    assert device["state"] == "unknown" and device["name"] == "lamp"
    assert client.get(f"/v1/devices/{device['id']}").json["name"] == "lamp"
    assert client.get("/v1/devices").json["size"] == 1
    assert client.post("/v1/devices", json={}).status_code == 412
    assert client.delete(f"/v1/devices/{device['id']}").status_code == 200
    assert client.get(f"/v1/devices/{device['id']}").status_code == 404


def test_zapata_sees_the_same_devices(views: list[Any]) -> None:
    client = Client(EnvoxyApp(views))
    device = client.post("/v1/devices", json={"name": "plug"}).json
    routes = ZmqRoutes(views)
    reply = decode_reply(
        routes.reply(encode_request(f"/v1/devices/{device['id']}", Performative.GET))
    )
    assert reply["status"] == 200 and reply["payload"]["name"] == "plug"
    missing = decode_reply(
        routes.reply(encode_request("/v1/devices/nope", Performative.GET))
    )
    assert missing["status"] == 404


def test_mqtt_state_updates_the_device(views: list[Any]) -> None:
    client = Client(EnvoxyApp(views))
    device = client.post("/v1/devices", json={"name": "fan"}).json
    state_view = next(v for v in views if hasattr(v, "on_event"))
    topic = f"devices/{device['id']}/state"
    state_view.on_event({"state": "on"}, device_id=device["id"], topic=topic)
    assert client.get(f"/v1/devices/{device['id']}").json["state"] == "on"
    with pytest.raises(ValidationException):
        state_view.on_event({"state": "exploded"}, device_id=device["id"], topic=topic)
    assert client.get(f"/v1/devices/{device['id']}").json["state"] == "on"
