"""The compiled MQTT framer, its pure twin and paho's own reader agree.

Packets are encoded here (the MQTT layout, written out), concatenated, cut
into arbitrary reads and framed as envoxy.mqtt.reader does; paho's reader
gets the same bytes through a socket stand-in.
"""

from __future__ import annotations

import itertools
import struct
from typing import Any

import paho.mqtt.client as paho
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

LIMIT = 1 << 20


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def publish(
    topic: bytes, payload: bytes, qos: int, mid: int, v5: bool, props: bytes = b""
) -> bytes:
    body = struct.pack("!H", len(topic)) + topic
    if qos:
        body += struct.pack("!H", mid)
    if v5:
        body += varint(len(props)) + props
    body += payload
    flags = (qos << 1) | (mid & 1) | (0x08 if qos and mid & 2 else 0)  # retain, dup
    return bytes([0x30 | flags]) + varint(len(body)) + body


def other(command: int, body: bytes) -> bytes:
    return bytes([command]) + varint(len(body)) + body


def user_properties(pairs: list[tuple[str, str]]) -> bytes:
    """MQTT 5 PUBLISH properties, without their length prefix."""
    if not pairs:
        return b""
    props = Properties(PacketTypes.PUBLISH)
    props.UserProperty = pairs
    packed = props.pack()
    start = 0
    while packed[start] & 0x80:
        start += 1
    return packed[start + 1 :]


topics = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00+#"),
    min_size=1,
    max_size=40,
).map(lambda t: t.encode("utf-8"))
payloads = st.binary(max_size=300)
texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8
)


@st.composite
def streams(draw: Any, v5: bool) -> tuple[bytes, list[tuple[Any, ...]]]:
    """Wire bytes and what framing them must give."""
    wire, expected = bytearray(), []
    for _ in range(draw(st.integers(1, 12))):
        if draw(st.integers(0, 4)) == 0:
            body = draw(st.binary(min_size=2, max_size=6))
            command = draw(st.sampled_from([0x40, 0x50, 0x62, 0x70, 0x90, 0xB0, 0xD0]))
            wire += other(command, body)
            expected.append((command, None, 0, None, body))
            continue
        topic, payload = draw(topics), draw(payloads)
        qos = draw(st.integers(0, 2))
        mid = draw(st.integers(1, 65535)) if qos else 0
        props = user_properties(draw(st.lists(st.tuples(texts, texts), max_size=2)))
        packet = publish(topic, payload, qos, mid, v5, props if v5 else b"")
        wire += packet
        properties = (varint(len(props)) + props) if v5 else None
        expected.append((packet[0], topic.decode(), mid, properties, payload))
    return bytes(wire), expected


def frame_in_reads(impl: Any, wire: bytes, cuts: list[int], v5: bool) -> list[Any]:
    """Frame ``wire`` as it arrives in pieces cut at ``cuts``."""
    buf, out, skip = bytearray(), [], 0
    bounds = sorted({0, len(wire), *[c % (len(wire) + 1) for c in cuts]})
    for start, end in itertools.pairwise(bounds):
        chunk = wire[start:end]
        if skip:
            taken = min(skip, len(chunk))
            chunk, skip = chunk[taken:], skip - taken
        buf += chunk
        packets, used, skip = impl.mqttwire.split_packets(buf, v5, LIMIT)
        del buf[:used]
        out += [p[:5] for p in packets]
    assert not buf and not skip
    return out


@settings(max_examples=150)
@given(st.data(), st.booleans())
def test_any_reads_frame_the_same_packets(impl: Any, data: Any, v5: bool) -> None:
    wire, expected = data.draw(streams(v5))
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=8))
    assert frame_in_reads(impl, wire, cuts, v5) == expected


@settings(max_examples=60)
@given(st.data(), st.booleans())
def test_both_builds_agree(both: Any, data: Any, v5: bool) -> None:
    compiled, pure = both
    wire = data.draw(streams(v5))[0]
    for cut in data.draw(st.lists(st.integers(0, len(wire)), min_size=1, max_size=4)):
        head = bytearray(wire[:cut])
        assert compiled.mqttwire.split_packets(
            head, v5, LIMIT
        ) == pure.mqttwire.split_packets(bytearray(wire[:cut]), v5, LIMIT)


class Socket:
    """Bytes for paho's reader, as a non-blocking socket hands them out."""

    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)

    def recv(self, size: int) -> bytes:
        if not self.data:
            raise BlockingIOError
        out, self.data = bytes(self.data[:size]), self.data[size:]
        return out

    def close(self) -> None:
        self.data = memoryview(b"")


def paho_reads(wire: bytes, v5: bool) -> list[tuple[Any, ...]]:
    client = paho.Client(
        CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5 if v5 else paho.MQTTv311
    )
    client.manual_ack_set(True)  # nothing to send back
    seen: list[tuple[Any, ...]] = []
    client.on_message = lambda _c, _u, m: seen.append(
        (m.topic, m.payload, m.qos, m.mid, m.retain, m.dup, m.properties)
    )
    client._sock = Socket(wire)  # type: ignore[assignment]
    while client._packet_read() == paho.MQTT_ERR_SUCCESS:
        pass
    return seen


@settings(max_examples=80)
@given(st.data(), st.booleans())
def test_publishes_read_as_paho_reads_them(impl: Any, data: Any, v5: bool) -> None:
    from envoxy.mqtt.reader import WireMessage

    wire = bytearray()
    for _ in range(data.draw(st.integers(1, 6))):
        qos = data.draw(st.integers(0, 1))  # QoS 2 answers with a PUBREC
        props = user_properties(
            data.draw(st.lists(st.tuples(texts, texts), max_size=2))
        )
        wire += publish(
            data.draw(topics),
            data.draw(payloads),
            qos,
            data.draw(st.integers(1, 65535)) if qos else 0,
            v5,
            props if v5 else b"",
        )
    packets, used, _ = impl.mqttwire.split_packets(bytearray(wire), v5, LIMIT)
    assert used == len(wire)
    ours = []
    for command, topic, mid, properties, payload, _size in packets:
        m = WireMessage(topic, payload, command, mid, properties)
        ours.append((m.topic, m.payload, m.qos, m.mid, m.retain, m.dup, m.properties))
    theirs = paho_reads(bytes(wire), v5)
    assert [o[:6] for o in ours] == [t[:6] for t in theirs]
    assert [str(o[6]) for o in ours] == [str(t[6]) for t in theirs]


def test_a_publish_over_the_limit_is_cut_from_its_head(impl: Any) -> None:
    big = publish(b"t/big", b"x" * 5000, 1, 42, False)
    small = publish(b"t/small", b"{}", 0, 0, False)
    split = impl.mqttwire.split_packets
    # only the head has arrived: out at once, the rest to be discarded unread
    packets, used, skip = split(bytearray(big[:100]), False, 1024)
    assert packets == [(0x3A, "t/big", 42, None, None, len(big))]
    assert (used, skip) == (100, len(big) - 100)
    # whole in the buffer with the next one: dropped, the next one framed
    packets, used, skip = split(bytearray(big + small), False, 1024)
    assert [p[1] for p in packets] == ["t/big", "t/small"]
    assert packets[0][4] is None and packets[1][4] == b"{}"
    assert (used, skip) == (len(big) + len(small), 0)
    # too little of the head to read its packet id yet: nothing taken
    assert split(bytearray(big[:8]), False, 1024) == ([], 0, 0)


@pytest.mark.parametrize(
    ("wire", "v5", "reason"),
    [
        (b"\x30\xff\xff\xff\xff\x01", False, "remaining length over 4 bytes"),
        (b"\x36\x04\x00\x01t\x00", False, "QoS 3"),
        (b"\x30\x04\x00\x09ab", False, "topic longer than the packet"),
        (b"\x30\x03\x00\x00x", False, "empty topic"),
        (b"\x30\x01\x00", False, "no topic length"),
        (b"\x30\x04\x00\x01t\x05", True, "properties past its end"),
        (b"\x90" + varint(5000) + b"\x00" * 5000, False, "over the 1024 byte limit"),
    ],
)
def test_malformed_packets_are_refused(
    impl: Any, wire: bytes, v5: bool, reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        impl.mqttwire.split_packets(bytearray(wire), v5, 1024)


def test_invalid_utf8_topics_come_out_as_bytes(impl: Any) -> None:
    packets, _, _ = impl.mqttwire.split_packets(
        bytearray(publish(b"t/\xff", b"{}", 0, 0, False)), False, LIMIT
    )
    assert packets[0][1] == b"t/\xff"
