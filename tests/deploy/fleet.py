"""A fleet on one machine: a broker namespace (Mosquitto and a ZeroMQ
ROUTER/DEALER proxy on a bridge) and one network namespace per envoxyd host,
each joined to the bridge by a veth pair. Every address lives in these
namespaces (10.213.7.0/24 inside them); the host's own network is untouched,
and everything is removed at the end."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.daemon import ENVOXYD
from tests.private_broker import mosquitto_binary

SUBNET = "10.213.7"
BROKER_IP = f"{SUBNET}.1"
MQTT_PORT = 1883
PROXY_PORT = 5555  # the Zapata broker's front (ROUTER)
HOST_ZMQ_PORT = 5556  # each host's Zapata server

PROXY = """
import sys, zmq
front, hosts = sys.argv[1], sys.argv[2:]
ctx = zmq.Context()
router = ctx.socket(zmq.ROUTER)
router.bind(front)
dealer = ctx.socket(zmq.DEALER)
dealer.setsockopt(zmq.IMMEDIATE, 1)  # never queue to a host that is not connected
for host in hosts:
    dealer.connect(host)
zmq.proxy(router, dealer)
"""


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


class Fleet:
    def __init__(self, folder: Path, hosts: int) -> None:
        self.folder = folder
        self.tag = secrets.token_hex(3)
        self.broker_ns = f"evx-{self.tag}-b"
        self.host_names = [f"h{i}" for i in range(1, hosts + 1)]
        self.client_ns = f"evx-{self.tag}-c"
        self.namespaces: list[str] = []
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._started: list[subprocess.Popen[bytes]] = []

    def ns(self, name: str) -> str:
        return self.client_ns if name == "client" else f"evx-{self.tag}-{name}"

    def ip_of(self, name: str) -> str:
        if name == "client":
            return f"{SUBNET}.100"
        return f"{SUBNET}.{10 + self.host_names.index(name) + 1}"

    # -- network ----------------------------------------------------------------
    def build(self) -> Fleet:
        _ip("netns", "add", self.broker_ns)
        self.namespaces.append(self.broker_ns)
        b = ["-n", self.broker_ns]
        _ip(*b, "link", "set", "lo", "up")
        _ip(*b, "link", "add", "br0", "type", "bridge")
        _ip(*b, "addr", "add", f"{BROKER_IP}/24", "dev", "br0")
        _ip(*b, "link", "set", "br0", "up")
        for index, name in enumerate([*self.host_names, "client"]):
            namespace = self.ns(name)
            _ip("netns", "add", namespace)
            self.namespaces.append(namespace)
            inside, outside = f"e{self.tag}{index}", f"b{self.tag}{index}"
            # made in the host's namespace, then both ends moved away at once
            _ip(
                "link",
                "add",
                inside,
                "netns",
                namespace,
                "type",
                "veth",
                "peer",
                "name",
                outside,
                "netns",
                self.broker_ns,
            )
            _ip("-n", namespace, "link", "set", "lo", "up")
            _ip("-n", namespace, "addr", "add", f"{self.ip_of(name)}/24", "dev", inside)
            _ip("-n", namespace, "link", "set", inside, "up")
            _ip(*b, "link", "set", outside, "master", "br0")
            _ip(*b, "link", "set", outside, "up")
        return self

    def run_in(
        self, namespace: str, *command: str, **popen: Any
    ) -> subprocess.Popen[bytes]:
        """``command`` in ``namespace``; stopped by ``destroy`` if still running."""
        process = subprocess.Popen(
            ["ip", "netns", "exec", namespace, *command], **popen
        )
        self._started.append(process)
        return process

    # -- the broker namespace -----------------------------------------------------
    def start_brokers(self) -> None:
        mosquitto = mosquitto_binary()
        assert mosquitto, "mosquitto is not installed (make services)"
        conf = self.folder / "mosquitto.conf"
        conf.write_text(
            f"listener {MQTT_PORT} {BROKER_IP}\nallow_anonymous true\n"
            "persistence false\nuser root\n"
            f"log_dest file {self.folder}/mosquitto.log\n"
        )
        self.processes["mosquitto"] = self.run_in(
            self.broker_ns,
            mosquitto,
            "-c",
            str(conf),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        script = self.folder / "proxy.py"
        script.write_text(PROXY)
        hosts = [f"tcp://{self.ip_of(h)}:{HOST_ZMQ_PORT}" for h in self.host_names]
        self.processes["proxy"] = self.run_in(
            self.broker_ns,
            sys.executable,
            str(script),
            f"tcp://{BROKER_IP}:{PROXY_PORT}",
            *hosts,
        )
        self.wait_port(self.broker_ns, BROKER_IP, MQTT_PORT)
        self.wait_port(self.broker_ns, BROKER_IP, PROXY_PORT)

    def wait_port(
        self, namespace: str, address: str, port: int, seconds: float = 20
    ) -> None:
        code = (
            f"import socket; socket.create_connection(({address!r}, {port}), 1).close()"
        )
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            done = subprocess.run(
                ["ip", "netns", "exec", namespace, sys.executable, "-c", code],
                capture_output=True,
                timeout=10,
                check=False,
            )
            if done.returncode == 0:
                return
            time.sleep(0.2)
        raise AssertionError(f"nothing listens on {address}:{port} in {namespace}")

    # -- hosts ---------------------------------------------------------------------
    def write_service(self, views: str, conf: dict[str, Any]) -> Path:
        service = self.folder / "service"
        service.mkdir(exist_ok=True)
        (service / "views.py").write_text(views)
        for name in self.host_names:
            host_conf = json.loads(json.dumps(conf).replace("{HOST}", name))
            host_conf["modules"] = [str(service / "views.py")]
            (service / f"{name}.json").write_text(json.dumps(host_conf))
        return service

    def start_host(self, name: str, service: Path, env: dict[str, str]) -> None:
        assert ENVOXYD
        with (self.folder / f"{name}.log").open("ab") as log:  # the child keeps a copy
            self.processes[name] = self._host(name, service, env, log)

    def _host(
        self, name: str, service: Path, env: dict[str, str], log: Any
    ) -> subprocess.Popen[bytes]:
        return self.run_in(
            self.ns(name),
            "env",
            *(f"{k}={v}" for k, v in env.items()),
            ENVOXYD,
            "--http",
            "127.0.0.1:8080",
            "--processes",
            "2",
            "--set",
            f"conf={service / (name + '.json')}",
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=service,
            start_new_session=True,
        )

    def ready(self, name: str) -> bool:
        code = (
            "import urllib.request, sys\n"
            "try:\n"
            "    url = 'http://127.0.0.1:8080/_health/ready'\n"
            "    r = urllib.request.urlopen(url, timeout=2)\n"
            "    sys.exit(0 if r.status == 200 else 1)\n"
            "except Exception:\n"
            "    sys.exit(1)\n"
        )
        done = subprocess.run(
            ["ip", "netns", "exec", self.ns(name), sys.executable, "-c", code],
            capture_output=True,
            timeout=10,
            check=False,
        )
        return done.returncode == 0

    def wait_ready(self, name: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            process = self.processes[name]
            if process.poll() is not None:
                raise AssertionError(f"{name} exited: {self.host_log(name)[-3000:]}")
            if self.ready(name):
                return
            time.sleep(0.3)
        raise AssertionError(
            f"{name} never became ready: {self.host_log(name)[-3000:]}"
        )

    def host_log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def kill_host(self, name: str) -> None:
        """SIGKILL the host's whole process group: master, workers, router."""
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    # -- teardown --------------------------------------------------------------------
    def destroy(self) -> None:
        hosts = {self.processes[h].pid for h in self.host_names if h in self.processes}
        for process in self._started:
            if process.poll() is None:
                try:
                    if process.pid in hosts:
                        os.killpg(process.pid, signal.SIGKILL)
                    else:
                        process.kill()
                except ProcessLookupError:
                    pass
            process.wait(10)
        for namespace in reversed(self.namespaces):
            subprocess.run(
                ["ip", "netns", "del", namespace], capture_output=True, check=False
            )
