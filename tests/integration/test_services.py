"""The services `make services` provides answer their own protocols.

These speak each wire protocol directly (no client library), so a fixture that
only finds an open port cannot pass for a working service.
"""

from __future__ import annotations

import json
import socket
import struct
import urllib.request
import uuid
from typing import Any

from tests.services import Service


def exchange(service: Service, request: bytes, size: int) -> bytes:
    with socket.create_connection((service.host, service.port), timeout=5) as conn:
        conn.sendall(request)
        data = b""
        while len(data) < size:
            chunk = conn.recv(size - len(data))
            if not chunk:
                break
            data += chunk
        return data


def test_postgres_answers_ssl_request(postgres_service: Service) -> None:
    # SSLRequest: length 8, code 80877103; the server answers one byte, S or N.
    assert exchange(postgres_service, struct.pack("!II", 8, 80877103), 1) in (
        b"S",
        b"N",
    )


def test_redis_answers_ping(redis_service: Service) -> None:
    assert exchange(redis_service, b"*1\r\n$4\r\nPING\r\n", 7) == b"+PONG\r\n"


def test_mosquitto_accepts_an_mqtt_connect(mosquitto_service: Service) -> None:
    client_id = b"envoxy-probe"
    variable = (
        b"\x00\x04MQTT\x04\x02\x00\x0a"  # MQTT 3.1.1, clean session, keepalive 10
    )
    payload = struct.pack("!H", len(client_id)) + client_id
    packet = b"\x10" + bytes([len(variable) + len(payload)]) + variable + payload
    assert (
        exchange(mosquitto_service, packet, 4) == b"\x20\x02\x00\x00"
    )  # CONNACK accepted


def test_rabbitmq_starts_an_amqp_connection(rabbitmq_service: Service) -> None:
    frame = exchange(rabbitmq_service, b"AMQP\x00\x00\x09\x01", 11)
    frame_type, _channel, _size, class_id, method_id = struct.unpack("!BHIHH", frame)
    assert (frame_type, class_id, method_id) == (1, 10, 10)  # connection.start


def couch(
    service: Service, method: str, path: str, body: Any = None
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"http://{service.address}{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_couchdb_stand_in_serves_mango_find(couchdb_service: Service) -> None:
    db = f"envoxy_probe_{uuid.uuid4().hex[:8]}"
    assert couch(couchdb_service, "PUT", f"/{db}")[0] in (201, 202)
    try:
        docs = [
            {"_id": f"d{n}", "n": n, "kind": "even" if n % 2 == 0 else "odd"}
            for n in range(10)
        ]
        assert (
            couch(couchdb_service, "POST", f"/{db}/_bulk_docs", {"docs": docs})[0]
            == 201
        )
        status, found = couch(
            couchdb_service,
            "POST",
            f"/{db}/_find",
            {
                "selector": {"n": {"$gt": 4}, "kind": {"$in": ["even"]}},
                "fields": ["_id", "n"],
            },
        )
        assert status == 200
        assert sorted(doc["n"] for doc in found["docs"]) == [6, 8]
        assert all(set(doc) == {"_id", "n"} for doc in found["docs"])
        status, _ = couch(
            couchdb_service, "POST", f"/{db}/_index", {"index": {"fields": ["n"]}}
        )
        assert status in (200, 201)
        status, page = couch(
            couchdb_service,
            "POST",
            f"/{db}/_find",
            {
                "selector": {"n": {"$gte": 0}},
                "sort": [{"n": "desc"}],
                "limit": 3,
                "skip": 1,
            },
        )
        assert [doc["n"] for doc in page["docs"]] == [8, 7, 6]
        assert couch(couchdb_service, "GET", f"/{db}/missing")[0] == 404
    finally:
        couch(couchdb_service, "DELETE", f"/{db}")
