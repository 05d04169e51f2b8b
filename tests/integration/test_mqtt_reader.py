"""envoxy.mqtt.reader on real sockets: the size limit under MQTT 3.1.1 (which
cannot tell the broker one), MQTT 5 properties read on demand, paho's own
read path as the fallback, and a broker that sends garbage."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from envoxy.mqtt import reader
from envoxy.mqtt.dispatcher import Dispatcher as mqttc
from envoxy.mqtt.dispatcher import MqttConnector
from envoxy.utils import logs
from envoxy.utils.config import Config
from tests.concurrency import eventually
from tests.services import Service


@pytest.fixture
def log_text() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    saved = logs._state.stream, logs._state.pretty
    logs.configure(stream=stream, fmt="json")
    yield stream
    logs._state.stream, logs._state.pretty = saved


def _configure(tmp_path: Path, bind: str, **server: Any) -> str:
    path = tmp_path / "envoxy.json"
    path.write_text(
        json.dumps({"mqtt_servers": {"main": {"bind": bind, **server}}}),
        encoding="utf-8",
    )
    Config.configure(path, environ={})
    return f"envoxy-test/{uuid.uuid4().hex[:8]}"


@pytest.fixture
def stop_mqttc() -> Iterator[None]:
    yield
    mqttc.shutdown()
    Config.reset()


def _peer(service: Service, protocol: int = paho.MQTTv311) -> paho.Client:
    client = paho.Client(CallbackAPIVersion.VERSION2, protocol=protocol)
    client.connect(service.host, service.port)
    client.loop_start()
    return client


def _subscribed(peer: paho.Client, topic: str, seen: list[Any]) -> None:
    """Publish probes to ``topic`` until the handler got one (the SUBACK is
    in), then forget them."""

    def probe() -> bool:
        peer.publish(topic, b'{"probe": true}', qos=1).wait_for_publish(5)
        return bool(seen)

    assert eventually(probe)
    time.sleep(0.2)  # probes still on their way
    seen.clear()


def _connection() -> Any:
    return MqttConnector.instance().connection("main")


def test_a_message_over_the_limit_is_dropped_unbuffered_on_mqtt311(
    mosquitto_service: Service, tmp_path: Path, log_text: io.StringIO, stop_mqttc: None
) -> None:
    base = _configure(
        tmp_path,
        f"mqtt://{mosquitto_service.address}",
        protocol=311,
        max_message_bytes=1024,
    )
    got: list[Any] = []
    assert mqttc.on("main", f"{base}/#", lambda data, topic: got.append(data), qos=1)
    assert isinstance(_connection()._client, reader.BufferedClient)
    peer = _peer(mosquitto_service)
    try:
        _subscribed(peer, f"{base}/probe", got)
        big = json.dumps({"blob": "x" * 20_000}).encode()
        peer.publish(f"{base}/big", big, qos=1).wait_for_publish(10)
        peer.publish(f"{base}/small", b'{"n": 1}', qos=1).wait_for_publish(10)
        assert eventually(lambda: got == [{"n": 1}])
    finally:
        peer.loop_stop()
        peer.disconnect()
    # dropped by its head and acknowledged (redelivering it would be dropped again)
    assert eventually(lambda: _connection()._acks.pending() == 0)
    assert _connection()._client._wire_buf == bytearray()  # nothing of it kept
    text = log_text.getvalue()
    assert f"on '{base}/big': over max_message_bytes (1024)" in text
    # fixed header 4, topic length 2, topic, packet id 2, payload
    assert f"{len(big) + len(base) + 12} bytes" in text


def test_mqtt5_properties_are_read_when_a_callback_asks(
    mosquitto_service: Service, tmp_path: Path, stop_mqttc: None
) -> None:
    base = _configure(tmp_path, f"mqtt://{mosquitto_service.address}", protocol=5)
    seen: list[Any] = []
    done = threading.Event()

    def callback(client: Any, userdata: Any, message: Any) -> None:
        users = getattr(message.properties, "UserProperty", None)  # none on probes
        seen.append((message.topic, message.payload, users))
        done.set()

    mqttc.subscribe("main", f"{base}/props", callback, qos=1)
    peer = _peer(mosquitto_service, paho.MQTTv5)
    try:
        _subscribed(peer, f"{base}/props", seen)
        done.clear()
        props = Properties(PacketTypes.PUBLISH)
        props.UserProperty = [("tenant", "t-1")]
        peer.publish(f"{base}/props", b"{}", qos=1, properties=props).wait_for_publish(
            10
        )
        assert done.wait(10)
    finally:
        peer.loop_stop()
        peer.disconnect()
    assert seen == [(f"{base}/props", b"{}", [("tenant", "t-1")])]


def test_without_the_internals_it_needs_pahos_own_read_path_serves(
    mosquitto_service: Service,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    stop_mqttc: None,
) -> None:
    monkeypatch.setattr(reader, "SUPPORTED", False)
    base = _configure(tmp_path, f"mqtt://{mosquitto_service.address}")
    got: list[Any] = []
    assert mqttc.on("main", f"{base}/+", lambda data, topic: got.append(topic), qos=1)
    client = _connection()._client
    assert type(client) is paho.Client
    for n in range(3):
        assert mqttc.publish("main", f"{base}/{n}", {"n": n}, qos=1)
    assert eventually(lambda: sorted(got) == [f"{base}/{n}" for n in range(3)])
    assert eventually(lambda: _connection()._acks.pending() == 0)


class GarbageBroker:
    """Accepts MQTT connections; the first gets a CONNACK, then a packet
    whose remaining length runs past 4 bytes; later ones are kept open."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self.open: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                sock, _ = self.server.accept()
            except OSError:
                return
            sock.recv(1024)  # the CONNECT
            sock.sendall(b"\x20\x02\x00\x00")  # CONNACK, accepted
            self.connections += 1
            if self.connections == 1:
                sock.sendall(b"\x30\xff\xff\xff\xff\x01")
            self.open.append(sock)

    def close(self) -> None:
        self.server.close()
        for sock in self.open:
            sock.close()


def test_a_malformed_packet_drops_the_connection_and_it_reconnects(
    tmp_path: Path, log_text: io.StringIO, stop_mqttc: None
) -> None:
    broker = GarbageBroker()
    try:
        _configure(
            tmp_path,
            f"mqtt://127.0.0.1:{broker.port}",
            protocol=311,
            reconnect_max_delay=1,
        )
        connection = _connection()
        assert eventually(lambda: broker.connections >= 2, seconds=15)
        assert eventually(connection.is_connected)
    finally:
        broker.close()
    assert "malformed packet (malformed MQTT packet: a remaining length over 4" in (
        log_text.getvalue()
    )
