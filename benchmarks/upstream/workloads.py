"""Public-API workloads run the same way inside any envoxy install: ours or
upstream's 0.7.1 from PyPI (benchmarks/upstream/run.py runs this file in
each venv). Standalone on purpose: it imports only what both packages
export, never this repository. Prints one JSON object: microseconds per
operation (the best of several repeats)."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from decimal import Decimal
from typing import Any

TOKYO = dt.timezone(dt.timedelta(hours=9))


def rich_records(count: int = 50, seed: int = 11) -> list[dict[str, Any]]:
    """Issue 16's payload: 50 records, each with 3 datetimes (naive, UTC,
    +09:00), a date, 2 Decimals and nested dicts."""
    rng = random.Random(seed)
    base = dt.datetime(2025, 1, 2, 3, 4, 5)
    out = []
    for i in range(count):
        created = base + dt.timedelta(
            seconds=rng.randrange(10**8), microseconds=rng.randrange(10**6)
        )
        out.append(
            {
                "id": i,
                "name": f"device-{i}",
                "created": created,
                "updated": created.replace(tzinfo=dt.UTC) + dt.timedelta(hours=3),
                "seen": created.replace(tzinfo=TOKYO),
                "day": created.date(),
                "price": Decimal(f"{rng.randrange(100000)}.{rng.randrange(100):02d}"),
                "tax": Decimal(f"0.{rng.randrange(100):02d}"),
                "meta": {
                    "tags": ["a", "b"],
                    "score": rng.random(),
                    "owner": {"id": i, "ok": True},
                },
            }
        )
    return out


def best_us(func: Any, number: int, repeat: int = 7) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            func()
        best = min(best, (time.perf_counter() - start) / number)
    return best * 1e6


def import_ms() -> float:
    """A fresh interpreter's ``import envoxy`` (best of 5)."""
    code = (
        "import time; t = time.perf_counter(); import envoxy; "
        "print(time.perf_counter() - t)"
    )
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(5)
    ]
    return min(runs) * 1000


MQTT_MESSAGES = 5000
BROKER = ("127.0.0.1", 1883)
#: the publisher process (standard library only, so either venv runs it)
BLASTER = os.path.join(os.path.dirname(os.path.dirname(__file__)), "mqtt_blaster.py")


class Arrivals:
    def __init__(self) -> None:
        import threading

        self.count = 0
        self.lock = threading.Lock()
        self.done = threading.Event()

    def hit(self, client: Any, userdata: Any, message: Any) -> None:
        json.loads(message.payload)  # a handler looks at what it got
        with self.lock:
            self.count += 1
            if self.count >= MQTT_MESSAGES:
                self.done.set()


def _paho_client() -> Any:
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    return paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv311)


def _msgs_per_s(topic: str, arrivals: Arrivals, rounds: int = 5) -> float:
    """Best rate over ``rounds`` bursts of MQTT_MESSAGES QoS 0 messages from
    a publisher process into the consumer (a round ends when every one was
    handled): the consumer's own rate, the publisher costs it nothing."""
    time.sleep(0.5)  # the SUBACK
    blaster = subprocess.Popen(
        [sys.executable, "-s", BLASTER, *map(str, BROKER)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert blaster.stdin is not None and blaster.stdout is not None
    if blaster.stdout.readline().strip() != "ready":
        raise RuntimeError("the publisher did not connect")
    best = 0.0
    try:
        # the subscription is live once a probe arrives (after a big
        # subscription build the broker may still be taking it in)
        deadline = time.monotonic() + 60
        while not arrivals.count:
            if time.monotonic() > deadline:
                raise RuntimeError("the subscription never became live")
            blaster.stdin.write(f"{topic} 1 0\n")
            blaster.stdin.flush()
            blaster.stdout.readline()
            time.sleep(0.2)
        for _ in range(rounds):
            arrivals.count = 0
            arrivals.done.clear()
            start = time.perf_counter()
            blaster.stdin.write(f"{topic} {MQTT_MESSAGES} 0\n")
            blaster.stdin.flush()
            blaster.stdout.readline()
            if not arrivals.done.wait(60):
                raise RuntimeError(f"{arrivals.count} of {MQTT_MESSAGES} arrived")
            best = max(best, MQTT_MESSAGES / (time.perf_counter() - start))
    finally:
        blaster.kill()
        blaster.wait()
    return best


def other_filters(count: int) -> list[str]:
    """``count`` filters a big service also holds (the shapes of the router
    benchmark's): none matches the measured topic."""
    return [
        f"tenants/t{i % 97}/devices/d{i}/+/state" if i % 2 else f"devices/x{i}/#"
        for i in range(count)
    ]


def _ignore(client: Any, userdata: Any, message: Any) -> None:
    del client, userdata, message


def mqtt_envoxy(protocol: int, others: int = 0) -> dict[str, float]:
    """``mqttc.subscribe(key, topic, callback)``: the consumer API both have
    (upstream's callback style: client, userdata, message). Config comes
    from ``uwsgi.opt["conf_content"]``, as under envoxyd, for both packages:
    outside uWSGI upstream's Config makes the credential HTTP call and exits
    (-10) when there is none. Run in a process of its own (``--mqtt N``).
    Upstream speaks MQTT 3.1.1 only and ignores ``protocol``. With
    ``others``, that many other filters are subscribed first (timed: the
    subscription build through the public API), so each message is
    dispatched among them."""
    import types
    import uuid

    bind = f"mqtt://bench:bench@{BROKER[0]}:{BROKER[1]}"  # upstream needs user:pass
    stub = types.ModuleType("uwsgi")
    stub.opt = {  # type: ignore[attr-defined]
        "conf_content": {
            "mqtt_servers": {"main": {"bind": bind, "protocol": protocol}}
        },
        "credentials": {},
    }
    stub.worker_id = lambda: 1  # type: ignore[attr-defined]
    stub.masterpid = os.getppid  # type: ignore[attr-defined]
    sys.modules["uwsgi"] = stub
    from envoxy import mqttc

    fillers = other_filters(others)
    start = time.perf_counter()
    for pattern in fillers:
        mqttc.subscribe("main", pattern, _ignore)
    subscribe_s = time.perf_counter() - start
    # under the fillers' crowded first level, so the lookup there is paid
    topic = f"devices/bench-{uuid.uuid4().hex[:8]}/e2e"
    arrivals = Arrivals()
    mqttc.subscribe("main", topic, arrivals.hit)
    if others:
        time.sleep(2)  # the broker's SUBACKs for the fillers
    return {"rate": _msgs_per_s(topic, arrivals), "subscribe_s": subscribe_s}


def mqtt_bare_paho() -> float:
    """A bare paho 3.1.1 consumer decoding in ``on_message``: the limit."""
    import uuid

    topic = f"bench/{uuid.uuid4().hex[:8]}/bare"
    arrivals = Arrivals()
    consumer = _paho_client()
    consumer.on_message = arrivals.hit
    consumer.connect(*BROKER)
    consumer.subscribe(topic)
    consumer.loop_start()
    try:
        return _msgs_per_s(topic, arrivals)
    finally:
        consumer.loop_stop()
        consumer.disconnect()


def _mqtt_in_own_process(protocol: int, others: int = 0) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-s", __file__, "--mqtt", str(protocol), str(others)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _broker_up() -> bool:
    import socket

    try:
        socket.create_connection(BROKER, timeout=1).close()
        return True
    except OSError:
        return False


def main() -> None:
    from envoxy.utils.encoders import envoxy_json_dumps
    from envoxy.views.containers import Response

    records = rich_records()
    big = [dict(r) for r in records]
    big[25]["counter"] = 2**70
    results = {
        "json_rich_us": best_us(lambda: envoxy_json_dumps(records), 200),
        "json_rich_bigint_us": best_us(lambda: envoxy_json_dumps(big), 50),
        "response_rich_us": best_us(lambda: Response(records), 200),
        "import_ms": import_ms(),
    }
    # same bytes on both sides is part of the contract: a digest to compare
    results["json_rich_bytes"] = len(envoxy_json_dumps(records))
    if _broker_up():
        results["mqtt_bare_paho_msgs"] = mqtt_bare_paho()
        results["mqtt_e2e_msgs"] = _mqtt_in_own_process(311)["rate"]
        results["mqtt_e2e_5_msgs"] = _mqtt_in_own_process(5)["rate"]
        for others in (1_000, 100_000):  # 3.1.1: what both speak
            fanned = _mqtt_in_own_process(311, others)
            results[f"mqtt_e2e_{others}_msgs"] = fanned["rate"]
            results[f"mqtt_subscribe_{others}_s"] = fanned["subscribe_s"]
    print(json.dumps(results), flush=True)
    os._exit(0)  # consumer threads of either package must not hold the exit


if __name__ == "__main__":
    if sys.argv[1:2] == ["--mqtt"]:
        print(json.dumps(mqtt_envoxy(int(sys.argv[2]), int(sys.argv[3]))), flush=True)
        os._exit(0)  # either package's consumer threads must not hold the exit
    main()
