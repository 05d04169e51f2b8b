"""The template service: devices over HTTP and ZeroMQ (one view class, both
transports), their state changes from MQTT, and an MQTT event published on
every change.

    envoxyd --http :8080 --set conf=envoxy.json
    SERVICE_MODELS=models SERVICE_DB_URL=sqlite:///devices.db \
        envoxy-alembic upgrade head
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from models import Device  # noqa: E402

from envoxy import Config, ValidationException, View, mqttc, on  # noqa: E402
from envoxy.asserts import assertz_mandatory, assertz_string  # noqa: E402
from envoxy.db.orm.manager import EnvoxySessionManager  # noqa: E402

SETTINGS = Config.get("devices") or {}
DATABASE = SETTINGS.get("database") or f"sqlite:///{HERE / 'devices.db'}"
STATES = ("on", "off", "unknown")
manager = EnvoxySessionManager(url=DATABASE)


def _announce(device: dict[str, Any]) -> None:
    """Tell whoever listens (MQTT, QoS 1); a service without a broker
    configured just does not announce."""
    if Config.get("mqtt_servers"):
        mqttc.publish("default", f"devices/{device['id']}/changed", device, qos=1)


def _found(session: Any, device_id: str) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise ValidationException(f"no device {device_id}", code=2404, status=404)
    return device


@on(endpoint="/v1/devices", protocols=["http", "zmq"])
class Devices(View):
    def get(self, request: Any, **kwargs: Any) -> Any:
        with manager.session_scope() as session:
            return [d.as_dict() for d in session.query(Device).order_by(Device.created)]

    def post(self, request: Any, **kwargs: Any) -> Any:
        body = request.get_json()
        if not isinstance(body, dict):
            raise ValidationException("send a JSON object", code=2400, status=400)
        assertz_mandatory(body, "name")
        assertz_string(body["name"])
        with manager.session_scope() as session:
            device = Device(name=body["name"], state="unknown")
            session.add(device)
            session.flush()
            created = device.as_dict()
        _announce(created)
        return created, 201


@on(endpoint="/v1/devices/{device_id:str}", protocols=["http", "zmq"])
class DeviceDocument(View):
    def get(self, request: Any, device_id: str, **kwargs: Any) -> Any:
        with manager.session_scope() as session:
            return _found(session, device_id).as_dict()

    def delete(self, request: Any, device_id: str, **kwargs: Any) -> Any:
        with manager.session_scope() as session:
            session.delete(_found(session, device_id))
        return {"deleted": device_id}


@on(endpoint="$share/devices/devices/{device_id}/state", protocols=["mqtt"], qos=1)
class DeviceState(View):
    """``{"state": "on"}`` on devices/<id>/state, from the devices themselves;
    shared by every host of the service (each message to one of them)."""

    def on_event(self, data: Any, device_id: str, **kwargs: Any) -> None:
        state = data.get("state") if isinstance(data, dict) else None
        if state not in STATES:
            raise ValidationException(f"state must be one of {STATES}", code=2422)
        with manager.session_scope() as session:
            device = _found(session, device_id)
            device.state = state
            session.flush()
            changed = device.as_dict()
        _announce(changed)


__loader__ = [Devices, DeviceDocument, DeviceState]
