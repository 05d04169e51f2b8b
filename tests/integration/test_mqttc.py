"""mqttc against the real Mosquitto: round trips, wildcards, shared subscriptions,
bad messages, slow handlers, interop with the broker's own clients, and a broker
restart (on a private Mosquitto this test starts and stops itself)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from envoxy.mqtt.dispatcher import Dispatcher as mqttc
from envoxy.utils.config import Config
from tests.concurrency import eventually
from tests.private_broker import PrivateBroker
from tests.services import Service

ROOT = Path(__file__).resolve().parents[2]


class Inbox:
    """Collects what a handler receives; waits are bounded."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._cond = threading.Condition()

    def __call__(self, data: Any, topic: str, **params: str) -> None:
        with self._cond:
            self.items.append((data, topic, params))
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = 10) -> list[Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.items) < count and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            return list(self.items)


def configure(tmp_path: Path, servers: dict[str, Any]) -> None:
    path = tmp_path / "envoxy.json"
    path.write_text(
        json.dumps({"mqtt_servers": servers, "mqtt_workers": {"max_workers": 4}}),
        encoding="utf-8",
    )
    Config.configure(path, environ={})


@pytest.fixture
def broker(mosquitto_service: Service, tmp_path: Path) -> Iterator[str]:
    bind = f"mqtt://{mosquitto_service.address}"
    configure(tmp_path, {"main": {"bind": bind}, "second": {"bind": bind}})
    yield f"envoxy-test/{uuid.uuid4().hex[:8]}"
    mqttc.shutdown()
    Config.reset()


def test_round_trip_qos0_1_and_2(broker: str) -> None:
    inbox = Inbox()
    assert mqttc.on("main", f"{broker}/q/#", inbox, qos=2)
    message = {"n": 1}
    assert mqttc.publish("main", f"{broker}/q/0", message, qos=0)
    assert mqttc.publish("main", f"{broker}/q/1", {"n": 2}, qos=1)
    assert mqttc.publish("main", f"{broker}/q/2", {"n": 3}, qos=2)
    items = inbox.wait_for(3)
    assert sorted(item[0]["n"] for item in items) == [1, 2, 3]
    data, topic, _ = next(i for i in items if i[0]["n"] == 1)
    assert data["resource"] == topic == f"{broker}/q/0"
    assert set(data["headers"]) == {
        "Accept",
        "Accept-Charset",
        "Date",
        "User-Agent",
        "X-Cid",
    }
    assert message == {
        "n": 1
    }  # the caller's dict is never changed (upstream added keys)


def test_raw_payloads_and_variables(broker: str) -> None:
    inbox = Inbox()
    mqttc.on("main", broker + "/devices/{device_id}/readings/{kind}", inbox)
    mqttc.publish(
        "main", f"{broker}/devices/d7/readings/temp", [21.5], no_envelope=True
    )
    (item,) = inbox.wait_for(1)
    assert item == (
        [21.5],
        f"{broker}/devices/d7/readings/temp",
        {"device_id": "d7", "kind": "temp"},
    )


def test_views_bound_with_on(broker: str) -> None:
    from envoxy import View, log_event, on
    from envoxy.mqtt.views import register_mqtt_views

    inbox = Inbox()

    @on(
        endpoint=broker + "/rooms/{room}/temperature",
        protocols=["mqtt"],
        server="main",
        qos=1,
    )
    class Rooms(View):
        @log_event
        def on_event(self, data: Any, **kwargs: Any) -> None:
            inbox(data, **kwargs)

    class HttpOnly(View):
        pass

    assert register_mqtt_views([Rooms(), HttpOnly()]) == 1
    mqttc.publish(
        "main", f"{broker}/rooms/kitchen/temperature", {"c": 21}, no_envelope=True
    )
    assert inbox.wait_for(1)[0] == (
        {"c": 21},
        f"{broker}/rooms/kitchen/temperature",
        {"room": "kitchen"},
    )


def test_upstream_callback_style(broker: str) -> None:
    seen: list[bytes] = []
    done = threading.Event()

    def callback(client: Any, userdata: Any, msg: Any) -> None:
        seen.append(msg.payload)
        done.set()

    mqttc.subscribe("main", f"{broker}/legacy", callback)
    mqttc.publish("main", f"{broker}/legacy", "raw", no_envelope=True)
    assert done.wait(10)
    assert seen == [b'"raw"']


def test_shared_subscription_splits_one_stream(broker: str) -> None:
    first, second = Inbox(), Inbox()
    mqttc.on("main", f"$share/workers/{broker}/jobs/#", first, qos=1)
    mqttc.on("second", f"$share/workers/{broker}/jobs/#", second, qos=1)
    time.sleep(0.3)  # both subscriptions acknowledged before the stream starts
    for n in range(40):
        mqttc.publish("main", f"{broker}/jobs/{n}", {"n": n}, qos=1)
    deadline = time.monotonic() + 10
    while len(first.items) + len(second.items) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    numbers = [d["n"] for d, _, _ in first.items] + [d["n"] for d, _, _ in second.items]
    assert sorted(numbers) == list(range(40))  # each message exactly once
    assert first.items
    assert second.items


def test_a_bad_message_is_dropped_and_the_next_arrives(broker: str) -> None:
    inbox = Inbox()
    failures: list[int] = []

    def picky(data: Any, topic: str) -> None:
        if data.get("explode"):
            failures.append(1)
            raise RuntimeError("handler bug")
        inbox(data, topic)

    mqttc.on("main", f"{broker}/in", picky)
    subprocess.run(
        ["mosquitto_pub", "-h", "127.0.0.1", "-t", f"{broker}/in", "-m", "{not json"],
        check=True,
        timeout=10,
    )
    mqttc.publish("main", f"{broker}/in", {"explode": True}, no_envelope=True)
    mqttc.publish("main", f"{broker}/in", {"ok": 1}, no_envelope=True)
    (item,) = inbox.wait_for(1)
    assert item[0] == {"ok": 1}
    assert failures == [1]


def test_a_slow_handler_does_not_block_others(broker: str) -> None:
    release = threading.Event()
    slow_done = threading.Event()
    fast = Inbox()

    def slow(data: Any, topic: str) -> None:
        release.wait(10)
        slow_done.set()

    mqttc.on("main", f"{broker}/slow", slow)
    mqttc.on("main", f"{broker}/fast", fast)
    mqttc.publish("main", f"{broker}/slow", {}, no_envelope=True)
    mqttc.publish("main", f"{broker}/fast", {"n": 1}, no_envelope=True)
    assert fast.wait_for(1)  # delivered while the slow handler still runs
    assert not slow_done.is_set()
    release.set()
    assert slow_done.wait(10)


def test_interop_with_mosquitto_clients(broker: str) -> None:
    inbox = Inbox()
    mqttc.on("main", f"{broker}/interop/in", inbox)
    subprocess.run(
        [
            "mosquitto_pub",
            "-h",
            "127.0.0.1",
            "-q",
            "1",
            "-t",
            f"{broker}/interop/in",
            "-m",
            '{"from": "cli"}',
        ],
        check=True,
        timeout=10,
    )
    assert inbox.wait_for(1)[0][0] == {"from": "cli"}
    listener = subprocess.Popen(
        [
            "mosquitto_sub",
            "-h",
            "127.0.0.1",
            "-q",
            "1",
            "-C",
            "1",
            "-W",
            "10",
            "-t",
            f"{broker}/interop/out",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(0.5)  # let mosquitto_sub subscribe
    assert mqttc.publish("main", f"{broker}/interop/out", {"from": "envoxy"}, qos=1)
    out, _ = listener.communicate(timeout=15)
    received = json.loads(out)
    assert received["from"] == "envoxy"
    assert received["resource"] == f"{broker}/interop/out"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def private_broker(
    mosquitto_service: Service, tmp_path: Path
) -> Iterator[PrivateBroker]:
    server = PrivateBroker(tmp_path).start()
    yield server
    mqttc.shutdown()
    Config.reset()
    server.stop()


def test_broker_restart_mid_stream(
    private_broker: PrivateBroker, tmp_path: Path
) -> None:
    bind = f"mqtt://127.0.0.1:{private_broker.port}"
    configure(
        tmp_path,
        {
            "consumer": {
                "bind": bind,
                "client_id": f"envoxy-consumer-{uuid.uuid4().hex[:6]}",
            },
            "producer": {
                "bind": bind,
                "client_id": f"envoxy-producer-{uuid.uuid4().hex[:6]}",
            },
        },
    )
    inbox = Inbox()
    assert mqttc.on("consumer", "restart/#", inbox, qos=1)
    mqttc.instance().connection("producer")
    mqttc.publish("producer", "restart/a", {"n": 1}, qos=1)
    assert len(inbox.wait_for(1)) == 1

    private_broker.stop()  # the broker goes away mid-stream
    time.sleep(0.5)
    for n in (2, 3):  # published during the outage, kept by the producer's session
        assert mqttc.publish("producer", "restart/b", {"n": n}, qos=1)
    private_broker.start()

    consumer = mqttc.instance().connection("consumer", connect=False)
    deadline = time.monotonic() + 40
    while not consumer.is_connected() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert consumer.is_connected()
    mqttc.publish("producer", "restart/c", {"n": 4}, qos=1)  # the subscription is back
    numbers = sorted(item[0]["n"] for item in inbox.wait_for(4, timeout=30))
    assert numbers == [1, 2, 3, 4]


CONSUMER = """
import json, sys, threading, time
from envoxy.utils.config import Config
from envoxy.mqtt.dispatcher import Dispatcher as mqttc
Config.configure(cli={"mqtt_servers.main.bind": sys.argv[1]}, environ={})
lock = threading.Lock()
def handler(data, topic):
    with lock:  # workers run in parallel: one whole line at a time
        sys.stdout.write(f"{data['n']}\\n")
        sys.stdout.flush()
mqttc.on("main", sys.argv[2], handler, qos=1)
print("ready", flush=True)
time.sleep(float(sys.argv[3]))
mqttc.shutdown()
"""


def test_two_processes_share_a_subscription(
    broker: str, mosquitto_service: Service
) -> None:
    bind = f"mqtt://{mosquitto_service.address}"
    pattern = f"$share/procs/{broker}/work/#"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    consumers = [
        subprocess.Popen(
            [sys.executable, "-c", CONSUMER, bind, pattern, "6"],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    for consumer in consumers:
        assert consumer.stdout is not None
        assert consumer.stdout.readline().strip() == "ready"
    time.sleep(0.5)
    for n in range(30):
        assert mqttc.publish("main", f"{broker}/work/{n}", {"n": n}, qos=1)
    outputs = [consumer.communicate(timeout=30)[0] for consumer in consumers]
    received = [[int(line) for line in out.split()] for out in outputs]
    assert sorted(received[0] + received[1]) == list(range(30))
    assert received[0]
    assert received[1]


def test_publishing_while_the_broker_is_down_does_not_stall(
    private_broker: PrivateBroker, tmp_path: Path
) -> None:
    configure(
        tmp_path,
        {
            "p": {
                "bind": f"mqtt://127.0.0.1:{private_broker.port}",
                "connect_timeout": 5,
            }
        },
    )
    assert mqttc.instance().connection("p").is_connected()
    private_broker.stop()
    time.sleep(0.3)
    started = time.monotonic()
    results = [mqttc.publish("p", "down/x", {"n": n}, qos=0) for n in range(20)]
    assert time.monotonic() - started < 5  # no per-call connect wait
    assert not any(results)  # QoS 0 cannot be kept: reported as not sent
    assert mqttc.publish("p", "down/x", {"n": 1}, qos=1)  # QoS 1 is kept for later


def test_an_unreachable_broker_costs_one_bounded_wait(tmp_path: Path) -> None:
    configure(
        tmp_path,
        {"gone": {"bind": f"mqtt://127.0.0.1:{_free_port()}", "connect_timeout": 1}},
    )
    try:
        started = time.monotonic()
        assert not mqttc.publish(
            "gone", "x", {"n": 1}
        )  # waits for the first answer, at most 1 s
        assert not mqttc.publish("gone", "x", {"n": 2})  # and never again
        assert mqttc.publish("gone", "x", {"n": 3}, qos=1)  # kept for when it appears
        assert time.monotonic() - started < 5
    finally:
        mqttc.shutdown()
        Config.reset()


ACKING_CONSUMER = """
import json, sys, time
from pathlib import Path
from envoxy.mqtt.dispatcher import Dispatcher as mqttc
from envoxy.utils.config import Config

conf, topic, log, mode = sys.argv[1:5]
Config.configure(Path(conf), environ={})
out = Path(log)

def handler(data, topic):
    with out.open("a") as f:
        f.write(f"{mode} {data['n']}\\n")
    if mode == "block":
        time.sleep(3600)  # killed before it finishes: never acknowledged

assert mqttc.on("main", topic + "/#", handler, qos=1)
with out.open("a") as f:
    f.write("subscribed\\n")
time.sleep(3600)
"""


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_a_killed_consumers_unhandled_qos1_messages_come_back(
    mosquitto_service: Service, tmp_path: Path
) -> None:
    """QoS 1 is acknowledged after the handler ran: a consumer killed while
    its handlers run loses nothing; its session at the broker gives the
    messages to the same client id when it comes back (paho's own default
    acknowledged them on receipt, and they were gone)."""
    topic = f"envoxy-test/{uuid.uuid4().hex[:8]}"
    conf = tmp_path / "consumer.json"
    conf.write_text(
        json.dumps(
            {
                "mqtt_servers": {
                    "main": {
                        "bind": f"mqtt://{mosquitto_service.address}",
                        "client_id": f"envoxy-ack-{uuid.uuid4().hex[:8]}",
                        "session_expiry": 60,
                    }
                },
                "mqtt_workers": {"max_workers": 4},
            }
        )
    )
    script = tmp_path / "consumer.py"
    script.write_text(ACKING_CONSUMER)
    log = tmp_path / "handled.log"

    def consumer(mode: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, str(script), str(conf), topic, str(log), mode],
            cwd=ROOT,
        )

    first = consumer("block")
    try:
        assert eventually(lambda: "subscribed" in _lines(log), 20)
        configure(tmp_path, {"pub": {"bind": f"mqtt://{mosquitto_service.address}"}})
        for n in (1, 2, 3):
            assert mqttc.publish("pub", f"{topic}/x", {"n": n}, qos=1, confirm=5)
        assert eventually(
            lambda: len([x for x in _lines(log) if x.startswith("block")]) == 3, 20
        )
    finally:
        first.kill()  # SIGKILL: no goodbye, three handlers still running
        first.wait(10)
        mqttc.shutdown()
        Config.reset()
    second = consumer("record")
    try:
        assert eventually(
            lambda: (
                sorted(x for x in _lines(log) if x.startswith("record"))
                == ["record 1", "record 2", "record 3"]
            ),
            20,
        ), _lines(log)
    finally:
        second.kill()
        second.wait(10)


def test_a_burst_of_subscriptions_goes_out_in_few_packets(broker: str) -> None:
    """Thousands of subscribe calls while connected: they coalesce into
    SUBSCRIBE packets of at most SUBSCRIBE_BATCH filters, each one reaches the
    broker, and a publish right after the last one is not overtaken by it."""
    from envoxy.mqtt import client as mqtt_client

    inbox = Inbox()
    assert mqttc.on("main", f"{broker}/first", inbox)
    connection = mqttc.instance().connection("main")
    sent: list[int] = []
    paho_client = connection._client
    subscribe = paho_client.subscribe

    def counting(topic: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(len(topic) if isinstance(topic, list) else 1)
        return subscribe(topic, *args, **kwargs)

    paho_client.subscribe = counting
    count = 3000
    for n in range(count):
        assert mqttc.on("main", f"{broker}/burst/{n}", inbox)
    assert mqttc.publish("main", f"{broker}/burst/{count - 1}", {"n": "last"})
    assert mqttc.publish("main", f"{broker}/burst/0", {"n": "first"})
    items = inbox.wait_for(2)
    assert sorted(item[0]["n"] for item in items) == ["first", "last"]
    assert sum(sent) == count
    assert len(sent) < count / 10, sent  # coalesced, not one packet each
    assert max(sent) <= mqtt_client.SUBSCRIBE_BATCH
