"""A fleet of envoxyd hosts on the shared engines, with one host killed
mid-stream: three hosts, each in its own network namespace joined to the
broker namespace by veth, consume one MQTT stream through an MQTT 5 shared
subscription on Mosquitto and serve Zapata requests behind a ZeroMQ
ROUTER/DEALER proxy. Host h2 is SIGKILLed (master, workers and all) while
messages and requests flow, and restarted a second later, as systemd or a
container orchestrator would. Counted at the end: every QoS 1 message the
broker accepted was handled (at least once), and every Zapata request was
answered within zmqc's retry deadline."""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.fleet import BROKER_IP, HOST_ZMQ_PORT, MQTT_PORT, PROXY_PORT, Fleet
from tests.deploy.image import namespaces_usable

SLOW = True
MESSAGES = 1500
REQUESTS = 400
VICTIM = "h2"

VIEWS = """
import os
import time

from envoxy import View, on

HOST = os.environ["FLEET_HOST"]
RECORD = os.environ["FLEET_RECORD"]


@on(endpoint="$share/fleet/fleet/readings/{n:int}", protocols=["mqtt"],
    server="fleet", qos=1)
class Readings(View):
    def on_event(self, data, n, **kwargs):
        time.sleep(0.02)  # slower than the stream: messages wait for a worker
        line = f"{HOST} {n}\\n".encode()
        fd = os.open(RECORD, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)  # one write per line: whole lines, whatever the host
        finally:
            os.close(fd)


@on(endpoint="/v1/fleet/echo/{n:int}", protocols=["zmq"])
class Echo(View):
    def get(self, request, n, **kwargs):
        return {"n": n, "host": HOST}


__loader__ = [Readings, Echo]
"""


def _host_conf() -> dict[str, object]:
    return {
        "log": {"level": 4},
        "mqtt_servers": {
            "fleet": {
                "bind": f"mqtt://{BROKER_IP}:{MQTT_PORT}",
                "client_id": "fleet-{HOST}",  # a persistent session per host
                "session_expiry": 300,
            }
        },
        "zmq_server": {"bind": f"tcp://0.0.0.0:{HOST_ZMQ_PORT}"},
        # one handler thread, 20 ms a message: 50 msg/s a host, 150 for the
        # fleet against 250 published, so every host has a backlog when h2
        # dies (acknowledged on receipt, that backlog would die with it)
        "mqtt_workers": {"max_workers": 1, "queue": 256},
        "envoxyd": {"drain_seconds": 3},
    }


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    why = namespaces_usable()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the fleet test: {why}")
        pytest.skip(why)
    built = Fleet(tmp_path, hosts=3)
    try:
        built.build()
        yield built
    finally:
        built.destroy()


def test_one_host_killed_mid_stream_loses_nothing(fleet: Fleet, tmp_path: Path) -> None:
    record = tmp_path / "handled.log"
    service = fleet.write_service(VIEWS, _host_conf())
    fleet.start_brokers()

    def env(name: str) -> dict[str, str]:
        return {"FLEET_HOST": name, "FLEET_RECORD": str(record)}

    for name in fleet.host_names:
        fleet.start_host(name, service, env(name))
    for name in fleet.host_names:
        fleet.wait_ready(name)

    client_conf = tmp_path / "client.json"
    client_conf.write_text(
        json.dumps(
            {
                "zmq_servers": {
                    "fleet": {
                        "host": BROKER_IP,
                        "port": PROXY_PORT,
                        "timeout_ms": 1000,
                        "retries": 4,
                        "deadline_ms": 10000,
                    }
                }
            }
        )
    )
    progress, summary = tmp_path / "progress", tmp_path / "summary.json"
    client = fleet.run_in(
        fleet.client_ns,
        sys.executable,
        str(Path(__file__).with_name("fleet_client.py")),
        str(client_conf),
        str(progress),
        str(summary),
        BROKER_IP,
        str(MESSAGES),
        str(REQUESTS),
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        deadline = time.monotonic() + 60
        while not (
            progress.exists() and int(progress.read_text() or 0) >= MESSAGES // 3
        ):
            assert time.monotonic() < deadline and client.poll() is None, "no progress"
            time.sleep(0.05)
        handled_before = Counter(
            line.split()[0] for line in record.read_text().splitlines()
        )
        fleet.kill_host(VICTIM)  # mid-stream: SIGKILL, nothing drained
        time.sleep(1)
        fleet.start_host(VICTIM, service, env(VICTIM))  # systemd restarts it
        assert client.wait(180) == 0
        fleet.wait_ready(VICTIM)
    finally:
        if client.poll() is None:
            client.kill()
    result = json.loads(summary.read_text())
    assert result["acknowledged_by_broker"] == MESSAGES

    def handled() -> list[tuple[str, int]]:
        rows = [line.split() for line in record.read_text().splitlines()]
        return [(host, int(n)) for host, n in rows]

    deadline = time.monotonic() + 60
    while {n for _, n in handled()} != set(
        range(MESSAGES)
    ) and time.monotonic() < deadline:
        time.sleep(0.2)
    rows = handled()
    distinct = {n for _, n in rows}
    per_host = Counter(host for host, _ in rows)
    lost = MESSAGES - len(distinct & set(range(MESSAGES)))
    print(
        f"\nfleet: {MESSAGES} QoS 1 published, {len(rows)} handled "
        f"({len(rows) - len(distinct)} duplicates), {lost} lost; per host "
        f"{dict(sorted(per_host.items()))}; {VICTIM} had handled "
        f"{handled_before.get(VICTIM, 0)} when killed. Zapata: "
        f"{result['answered']}/{REQUESTS} answered, {len(result['failed'])} failed, "
        f"per host {dict(sorted(result['by_host'].items()))}"
    )
    assert lost == 0, sorted(set(range(MESSAGES)) - distinct)[:20]
    assert handled_before.get(VICTIM, 0) > 0  # it was really in the stream
    assert len(per_host) == 3  # the stream was shared by every host
    assert result["failed"] == [], result["failed"][:5]
    assert result["answered"] == REQUESTS
    assert set(result["by_host"]) >= {"h1", "h3"}
