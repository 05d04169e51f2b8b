"""Where the integration services listen, and how to tell they are up."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

__all__ = ["SERVICES", "Service", "reachable"]


@dataclass(frozen=True)
class Service:
    name: str
    host: str
    port: int
    hint: str

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def _service(name: str, env: str, port: int, hint: str) -> Service:
    host = os.environ.get(f"ENVOXY_TEST_{env}_HOST", "127.0.0.1")
    return Service(
        name, host, int(os.environ.get(f"ENVOXY_TEST_{env}_PORT", port)), hint
    )


SERVICES: dict[str, Service] = {
    "postgres": _service("postgres", "PG", 5432, "make services"),
    "redis": _service("redis", "REDIS", 6379, "make services"),
    "mosquitto": _service("mosquitto", "MQTT", 1883, "make services"),
    "rabbitmq": _service("rabbitmq", "AMQP", 5672, "make services"),
    "couchdb": _service("couchdb", "COUCHDB", 5984, "make services (CouchDB stand-in)"),
    "clickhouse": _service(
        "clickhouse", "CLICKHOUSE", 8123, "make services (ClickHouse on chdb)"
    ),
}


def reachable(service: Service, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((service.host, service.port), timeout=timeout):
            return True
    except OSError:
        return False
