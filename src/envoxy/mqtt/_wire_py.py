"""MQTT framing of what the broker sends: whole packets out of a read buffer.

Reference implementation, also compiled from this very file as
``envoxy.mqtt._wire_c`` (Cython pure mode); tests/speedups proves both agree
with each other and with paho's own decoding.

paho reads a packet with three ``recv`` calls (one byte, the length, the
rest) and a ``select`` before each, then parses it in Python, MQTT 5
properties included. Here one large ``recv`` is framed at once: every whole
packet in the buffer becomes one tuple, a PUBLISH already split into topic,
packet id, raw properties and payload (properties are parsed only if a
handler asks for them).

``split_packets(buf, v5, limit)`` -> ``(packets, used, skip)``: ``used`` bytes
at the front of ``buf`` are done with; a packet larger than ``limit`` bytes
(fixed header included, as MQTT 5's Maximum Packet Size counts) is never
buffered: a PUBLISH comes out as soon as its topic and id are in, with
``payload`` ``None``, and ``skip`` says how many of its bytes still to come
must be discarded. Each packet is ``(command, topic, mid, properties,
payload, size)``: for a PUBLISH ``topic`` is a str, or the raw bytes when
they are not UTF-8, ``properties`` the MQTT 5 properties as sent, their
length first (what paho's ``Properties.unpack`` reads; ``None`` under 3.1.1);
any other packet has ``topic`` ``None`` and its body as ``payload``.
A malformed packet raises ``ValueError`` (a protocol error: the connection
is dropped, as paho does).
"""

from __future__ import annotations

try:
    import cython
except ModuleNotFoundError:  # pure install without Cython: same module, uncompiled
    from envoxy import _cython_shim as cython  # type: ignore[no-redef]

from typing import Any

if cython.compiled:
    from cython.cimports.cpython.bytearray import (  # type: ignore[import-not-found]
        PyByteArray_AS_STRING,
    )
    from cython.cimports.cpython.bytes import (  # type: ignore[import-not-found]
        PyBytes_FromStringAndSize,
    )

__all__ = ["PUBLISH", "split_packets"]

#: a PUBLISH's packet type, in the first byte's high nibble
PUBLISH = 0x30
_PUBLISH = cython.declare(cython.int, 0x30)


@cython.cfunc
def _take(buf: bytearray, start: cython.Py_ssize_t, end: cython.Py_ssize_t) -> bytes:
    if cython.compiled:
        return PyBytes_FromStringAndSize(
            PyByteArray_AS_STRING(buf) + start, end - start
        )
    return bytes(buf[start:end])


@cython.cfunc
def _topic(buf: bytearray, start: cython.Py_ssize_t, end: cython.Py_ssize_t) -> object:
    raw: bytes = _take(buf, start, end)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


@cython.cfunc
def _varint_end(
    buf: bytearray, pos: cython.Py_ssize_t, end: cython.Py_ssize_t
) -> cython.Py_ssize_t:
    """Where MQTT 5's property length at ``pos`` ends (-1: not within ``end``)."""
    i: cython.Py_ssize_t
    for i in range(pos, min(pos + 4, end)):
        if not buf[i] & 0x80:
            return i + 1
    if end - pos >= 4:
        raise ValueError("malformed MQTT packet: a property length over 4 bytes")
    return -1


@cython.cfunc
def _varint(buf: bytearray, pos: cython.Py_ssize_t) -> cython.Py_ssize_t:
    """The variable byte integer at ``pos`` (already known to be whole)."""
    value: cython.Py_ssize_t = 0
    shift: cython.int = 0
    byte: cython.int
    while True:
        byte = buf[pos]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value
        shift += 7
        pos += 1


def split_packets(buf: bytearray, v5: bool, limit: int) -> tuple[list[Any], int, int]:
    """Every whole packet at the front of ``buf`` (see the module's docstring)."""
    packets: list[Any] = []
    length: cython.Py_ssize_t = len(buf)
    cap: cython.Py_ssize_t = limit
    is_v5: cython.bint = v5
    pos: cython.Py_ssize_t = 0
    i: cython.Py_ssize_t
    body: cython.Py_ssize_t
    end: cython.Py_ssize_t
    remaining: cython.Py_ssize_t
    shift: cython.int
    byte: cython.int
    command: cython.int
    qos: cython.int
    topic_end: cython.Py_ssize_t
    mid: cython.int
    header: cython.Py_ssize_t
    props_end: cython.Py_ssize_t
    while pos < length:
        command = buf[pos]
        # the remaining length: 1 to 4 bytes, 7 bits each
        remaining = 0
        shift = 0
        i = pos + 1
        while True:
            if i >= length:
                return packets, pos, 0
            byte = buf[i]
            remaining |= (byte & 0x7F) << shift
            i += 1
            if not byte & 0x80:
                break
            shift += 7
            if shift > 21:
                raise ValueError(
                    "malformed MQTT packet: a remaining length over 4 bytes"
                )
        body = i
        end = body + remaining
        if command & 0xF0 != _PUBLISH:
            if end - pos > cap:
                raise ValueError(
                    f"MQTT packet type {command >> 4} of {end - pos} bytes "
                    f"is over the {cap} byte limit"
                )
            if end > length:
                return packets, pos, 0
            packets.append((command, None, 0, None, _take(buf, body, end), end - pos))
            pos = end
            continue
        qos = (command >> 1) & 3
        if qos == 3:
            raise ValueError("malformed MQTT PUBLISH: QoS 3")
        if end - pos > cap:  # never buffered: its head is enough to drop it
            if length - body < 2:
                return packets, pos, 0
            topic_end = body + 2 + ((buf[body] << 8) | buf[body + 1])
            header = topic_end + (2 if qos else 0)  # at most 65,539 past body
            if header > end:
                raise ValueError(
                    "malformed MQTT PUBLISH: a topic longer than the packet"
                )
            if header > length:
                return packets, pos, 0
            mid = ((buf[topic_end] << 8) | buf[topic_end + 1]) if qos else 0
            packets.append(
                (command, _topic(buf, body + 2, topic_end), mid, None, None, end - pos)
            )
            if end >= length:
                return packets, length, end - length
            pos = end
            continue
        if end > length:
            return packets, pos, 0
        if remaining < 2:
            raise ValueError("malformed MQTT PUBLISH: no topic length")
        topic_end = body + 2 + ((buf[body] << 8) | buf[body + 1])
        i = topic_end + (2 if qos else 0)
        if i > end:
            raise ValueError("malformed MQTT PUBLISH: a topic longer than the packet")
        if topic_end == body + 2 and not is_v5:
            raise ValueError("malformed MQTT PUBLISH: an empty topic")
        mid = ((buf[topic_end] << 8) | buf[topic_end + 1]) if qos else 0
        properties: object = None
        if is_v5:
            props_end = _varint_end(buf, i, end)
            if props_end < 0:
                raise ValueError("malformed MQTT PUBLISH: no property length")
            props_end += _varint(buf, i)
            if props_end > end:
                raise ValueError("malformed MQTT PUBLISH: properties past its end")
            properties = _take(buf, i, props_end)
            i = props_end
        packets.append(
            (
                command,
                _topic(buf, body + 2, topic_end),
                mid,
                properties,
                _take(buf, i, end),
                end - pos,
            )
        )
        pos = end
    return packets, pos, 0
