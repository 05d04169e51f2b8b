"""The messaging contract, against the real servers and a real envoxyd: one
view class declared for HTTP, ZeroMQ and MQTT gets the same converted
variables on all three; MQTT publish -> consume -> publish; a value that does
not convert is no delivery (HTTP's 404); a malformed message is dropped and
logged and the next one is handled; a broker connection cut and restored
brings the subscriptions back."""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Iterator
from typing import Any

import paho.mqtt.client as paho
import pytest

from tests.contracts.test_view_contract import over_http, over_zmq
from tests.daemon import Daemon, free_port
from tests.faults import TcpProxy
from tests.services import Service

pytestmark = pytest.mark.integration

REPLIES = "/contract/replies"

VIEWS = """
from envoxy import View, mqttc, on

ENDPOINT = "/v3/rooms/{room}/readings/{n:int}"


@on(endpoint=ENDPOINT, protocols=["http", "zmq", "mqtt"], server="events", qos=1)
class Readings(View):
    def get(self, request, room, n):
        return {"room": room, "n": n, "kind": type(n).__name__}

    def on_event(self, data, room, n, **kwargs):
        answer = {"room": room, "n": n, "kind": type(n).__name__, "x": data.get("x")}
        mqttc.publish("events", "/contract/replies", answer, no_envelope=True, qos=1)


__loader__ = [Readings]
"""


@pytest.fixture(scope="module")
def broker(mosquitto_service: Service) -> Iterator[TcpProxy]:
    host, _, port = mosquitto_service.address.rpartition(":")
    with TcpProxy(host, int(port)) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def daemon(
    tmp_path_factory: pytest.TempPathFactory, broker: TcpProxy
) -> Iterator[Daemon]:
    port = free_port()
    conf = {
        "zmq_server": {"bind": f"tcp://127.0.0.1:{port}"},
        "mqtt_servers": {
            "events": {"bind": f"mqtt://{broker.address}", "reconnect_max_delay": 1}
        },
    }
    started = Daemon(tmp_path_factory.mktemp("messaging"), conf, VIEWS).start()
    started.zmq_port = port  # type: ignore[attr-defined]
    _wait_subscribed(started)
    yield started
    assert started.stop() == 0


def _wait_subscribed(daemon: Daemon, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, _, body = daemon.get("/_health/ready", timeout=5)
        check = (body or {}).get("checks", {}).get("mqtt_servers.events", {})
        if status == 200 and check.get("ok") and check.get("subscriptions"):
            return
        time.sleep(0.2)
    raise AssertionError(f"the MQTT view never subscribed: {body}")


@pytest.fixture
def peer(mosquitto_service: Service) -> Iterator[tuple[paho.Client, queue.Queue]]:
    """A client of the real broker: it publishes, and hears the replies."""
    host, _, port = mosquitto_service.address.rpartition(":")
    heard: queue.Queue[Any] = queue.Queue()
    client = paho.Client(paho.CallbackAPIVersion.VERSION2)
    client.on_message = lambda c, u, message: heard.put(message.payload)
    subscribed = queue.Queue[int]()
    client.on_subscribe = lambda *args: subscribed.put(1)
    client.connect(host, int(port))
    client.loop_start()
    client.subscribe(REPLIES, qos=1)
    subscribed.get(timeout=10)
    yield client, heard
    client.loop_stop()
    client.disconnect()


def _next(heard: queue.Queue, timeout: float = 10) -> Any:
    return json.loads(heard.get(timeout=timeout))


def _publish(client: paho.Client, topic: str, payload: bytes) -> None:
    client.publish(topic, payload, qos=1).wait_for_publish(10)


def test_one_view_gets_the_same_variables_on_every_transport(
    daemon: Daemon, peer: tuple[paho.Client, queue.Queue]
) -> None:
    client, heard = peer
    expected = {"room": "r1", "n": 7, "kind": "int"}
    assert over_http(daemon, "GET", "/v3/rooms/r1/readings/7") == (200, expected)
    assert over_zmq(daemon, "GET", "/v3/rooms/r1/readings/7") == (200, expected)
    _publish(client, "/v3/rooms/r1/readings/7", json.dumps({"x": 1}).encode())
    assert _next(heard) == {**expected, "x": 1}


def test_a_value_that_does_not_convert_is_no_delivery(
    daemon: Daemon, peer: tuple[paho.Client, queue.Queue]
) -> None:
    client, heard = peer
    assert over_http(daemon, "GET", "/v3/rooms/r1/readings/seven")[0] == 404
    assert over_zmq(daemon, "GET", "/v3/rooms/r1/readings/seven")[0] == 404
    _publish(client, "/v3/rooms/r1/readings/seven", b'{"x": 2}')
    _publish(client, "/v3/rooms/r1/readings/8", b'{"x": 3}')
    assert _next(heard) == {"room": "r1", "n": 8, "kind": "int", "x": 3}
    assert heard.empty()


def test_a_malformed_message_is_dropped_and_logged(
    daemon: Daemon, peer: tuple[paho.Client, queue.Queue]
) -> None:
    client, heard = peer
    _publish(client, "/v3/rooms/r2/readings/1", b"{not json")
    _publish(client, "/v3/rooms/r2/readings/2", b'{"x": 4}')
    assert _next(heard) == {"room": "r2", "n": 2, "kind": "int", "x": 4}
    assert heard.empty()
    deadline = time.monotonic() + 5
    while "dropped a malformed message on '/v3/rooms/r2/readings/1'" not in (
        daemon.log.read_text(errors="replace")
    ):
        assert time.monotonic() < deadline, "the drop was not logged"
        time.sleep(0.1)


def test_a_reconnect_restores_the_subscriptions(
    daemon: Daemon, broker: TcpProxy, peer: tuple[paho.Client, queue.Queue]
) -> None:
    client, heard = peer
    broker.stop()  # the daemon's broker connection is cut, nothing listens
    deadline = time.monotonic() + 15
    while daemon.get("/_health/ready", timeout=5)[0] != 503:
        assert time.monotonic() < deadline, "the cut was never noticed"
        time.sleep(0.2)
    broker.start()  # the same address again
    _wait_subscribed(daemon)
    _publish(client, "/v3/rooms/r3/readings/5", b'{"x": 5}')
    assert _next(heard) == {"room": "r3", "n": 5, "kind": "int", "x": 5}
