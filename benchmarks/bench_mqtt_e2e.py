"""Messages per second through Mosquitto into a handler: envoxy vs a bare paho client.

A publisher in a process of its own (benchmarks/mqtt_blaster.py) sends
MESSAGES JSON messages at QoS 0 in one burst; a round ends when the consumer
under test has decoded and counted every one, so the rate is the consumer's:
paho's network thread reading and parsing, envoxy's read path, router,
handoff to its handler pool and the handler. The peer is the obvious one, a
bare paho 3.1.1 consumer decoding in ``on_message`` (issue 16's limit);
envoxy is measured on MQTT 3.1.1 and on MQTT 5 (its default) against it.
Needs Mosquitto on 127.0.0.1:1883 (make services).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from tests.services import SERVICES, reachable

from envoxy.mqtt.dispatcher import Dispatcher as mqttc
from envoxy.utils.config import Config

MESSAGES = 5000
BROKER = SERVICES["mosquitto"]
BLASTER = Path(__file__).with_name("mqtt_blaster.py")

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


class Blaster:
    """The publisher process: one line per burst."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(BLASTER), BROKER.host, str(BROKER.port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._line() == "ready"

    def _line(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def burst(self, topic: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{topic} {MESSAGES} 0\n")
        self.process.stdin.flush()
        assert self._line() == "sent"

    def close(self) -> None:
        self.process.kill()
        self.process.wait(10)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()  # else an unraisable ResourceWarning lands in a later test


@pytest.fixture(scope="module")
def blaster() -> Iterator[Blaster]:
    publisher = Blaster()
    yield publisher
    publisher.close()


def _round(blaster: Blaster, topic: str, counter: Counter) -> None:
    counter.reset()
    blaster.burst(topic)
    if not counter.done.wait(60):
        raise RuntimeError(f"only {counter.count} of {MESSAGES} messages arrived")


def _measure(
    benchmark: Any, group: str, blaster: Blaster, topic: str, counter: Counter
) -> None:
    benchmark.group = group
    benchmark.extra_info["messages"] = MESSAGES
    benchmark.pedantic(_round, args=(blaster, topic, counter), rounds=5, iterations=1)


def _envoxy(benchmark: Any, tmp_path: Path, blaster: Blaster, protocol: int) -> None:
    topic = f"bench/{uuid.uuid4().hex[:8]}/envoxy"
    path = tmp_path / "envoxy.json"
    bind = f"mqtt://{BROKER.address}"
    path.write_text(
        json.dumps({"mqtt_servers": {"main": {"bind": bind, "protocol": protocol}}}),
        encoding="utf-8",
    )
    Config.configure(path, environ={})
    counter = Counter()
    mqttc.on("main", topic, lambda data, topic: counter.hit())
    time.sleep(0.3)  # the SUBACK
    try:
        _measure(benchmark, f"mqtt-e2e-{protocol}", blaster, topic, counter)
    finally:
        mqttc.shutdown()
        Config.reset()


def test_e2e_envoxy_311(benchmark: Any, tmp_path: Path, blaster: Blaster) -> None:
    _envoxy(benchmark, tmp_path, blaster, 311)


def test_e2e_envoxy_5(benchmark: Any, tmp_path: Path, blaster: Blaster) -> None:
    _envoxy(benchmark, tmp_path, blaster, 5)


@pytest.mark.parametrize("group", ["mqtt-e2e-311", "mqtt-e2e-5"])
def test_e2e_paho(benchmark: Any, blaster: Blaster, group: str) -> None:
    """The same bare paho 3.1.1 consumer, measured in each group."""
    topic = f"bench/{uuid.uuid4().hex[:8]}/paho"
    counter = Counter()
    consumer = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv311)
    consumer.on_message = lambda client, userdata, msg: (
        orjson.loads(msg.payload),
        counter.hit(),
    )
    consumer.connect(BROKER.host, BROKER.port)
    consumer.subscribe(topic)
    consumer.loop_start()
    time.sleep(0.3)
    try:
        _measure(benchmark, group, blaster, topic, counter)
    finally:
        consumer.loop_stop()
        consumer.disconnect()
