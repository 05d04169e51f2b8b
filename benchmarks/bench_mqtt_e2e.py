"""Messages per second through Mosquitto into handlers: envoxy vs a bare paho client.

Both consumers subscribe to the same topic on the real broker; one publisher
sends MESSAGES JSON messages at QoS 0; a round ends when every message has been
handled (decoded as JSON). Needs Mosquitto on 127.0.0.1:1883 (make services).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from tests.services import SERVICES, reachable

from envoxy.mqtt.dispatcher import Dispatcher as mqttc
from envoxy.utils.config import Config

MESSAGES = 2000
BROKER = SERVICES["mosquitto"]

pytestmark = pytest.mark.skipif(
    not reachable(BROKER), reason="needs Mosquitto (make services)"
)


class Counter:
    def __init__(self) -> None:
        self.count = 0
        self.done = threading.Event()
        self.lock = threading.Lock()

    def reset(self) -> None:
        with self.lock:
            self.count = 0
        self.done.clear()

    def hit(self) -> None:
        with self.lock:
            self.count += 1
            if self.count >= MESSAGES:
                self.done.set()


def _client() -> paho.Client:
    client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    client.connect(BROKER.host, BROKER.port)
    client.loop_start()
    return client


def _round(publisher: paho.Client, topic: str, counter: Counter) -> None:
    counter.reset()
    payload = orjson.dumps({"n": 1, "device": "d1", "values": [1.5, 2.5]})
    for _ in range(MESSAGES):
        publisher.publish(topic, payload, qos=0)
    if not counter.done.wait(30):
        raise RuntimeError(f"only {counter.count} of {MESSAGES} messages arrived")


def _measure(
    benchmark: Any, publisher: paho.Client, topic: str, counter: Counter
) -> None:
    benchmark.group = "mqtt-e2e"
    benchmark.extra_info["messages"] = MESSAGES
    benchmark.pedantic(_round, args=(publisher, topic, counter), rounds=5, iterations=1)


def test_e2e_envoxy(benchmark: Any, tmp_path: Path) -> None:
    topic = f"bench/{uuid.uuid4().hex[:8]}/envoxy"
    path = tmp_path / "envoxy.json"
    path.write_text(
        json.dumps({"mqtt_servers": {"main": {"bind": f"mqtt://{BROKER.address}"}}}),
        encoding="utf-8",
    )
    Config.configure(path, environ={})
    counter = Counter()
    mqttc.on("main", topic, lambda data, topic: counter.hit())
    publisher = _client()
    time.sleep(0.3)
    try:
        _measure(benchmark, publisher, topic, counter)
    finally:
        publisher.loop_stop()
        publisher.disconnect()
        mqttc.shutdown()
        Config.reset()


def test_e2e_paho(benchmark: Any) -> None:
    topic = f"bench/{uuid.uuid4().hex[:8]}/paho"
    counter = Counter()
    consumer = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    consumer.on_message = lambda client, userdata, msg: (
        orjson.loads(msg.payload),
        counter.hit(),
    )
    consumer.connect(BROKER.host, BROKER.port)
    consumer.subscribe(topic)
    consumer.loop_start()
    publisher = _client()
    time.sleep(0.3)
    try:
        _measure(benchmark, publisher, topic, counter)
    finally:
        for client in (publisher, consumer):
            client.loop_stop()
            client.disconnect()
