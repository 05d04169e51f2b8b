"""A publisher in a process of its own, so a consumer's rate is its own.

Standard library only (bench-upstream runs it from either venv): one MQTT
3.1.1 connection over a plain socket; each line ``<topic> <count> <qos>`` on
stdin makes it send ``count`` pre-encoded PUBLISH packets in one write, then
print ``sent``. QoS 1 PUBACKs are read and discarded. A consumer that needs
``count`` messages measures from the line it writes to the last arrival.
"""

from __future__ import annotations

import os
import socket
import struct
import sys
import threading

PAYLOAD = b'{"n":1,"device":"d1","values":[1.5,2.5]}'


def _length(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _string(text: bytes) -> bytes:
    return struct.pack("!H", len(text)) + text


def _connect(host: str, port: int) -> socket.socket:
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    body = (
        _string(b"MQTT")
        + b"\x04\x02\x00\x00"
        + _string(f"blast-{os.getpid()}".encode())
    )
    sock.sendall(b"\x10" + _length(len(body)) + body)
    connack = sock.recv(4)
    if len(connack) < 4 or connack[3] != 0:
        raise SystemExit(f"blaster: the broker refused the connection: {connack!r}")
    return sock


def _packets(topic: str, count: int, qos: int) -> bytes:
    name = _string(topic.encode())
    out = bytearray()
    for mid in range(1, count + 1):
        ident = struct.pack("!H", (mid % 65535) + 1) if qos else b""
        body = name + ident + PAYLOAD
        out += bytes([0x30 | (qos << 1)]) + _length(len(body)) + body
    return bytes(out)


def _drain(sock: socket.socket) -> None:
    while sock.recv(65536):
        pass


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    sock = _connect(host, port)
    threading.Thread(target=_drain, args=(sock,), daemon=True).start()
    print("ready", flush=True)
    cache: dict[tuple[str, int, int], bytes] = {}
    for line in sys.stdin:
        topic, count, qos = line.split()
        key = (topic, int(count), int(qos))
        if key not in cache:
            cache[key] = _packets(*key)
        sock.sendall(cache[key])
        print("sent", flush=True)


if __name__ == "__main__":
    main()
