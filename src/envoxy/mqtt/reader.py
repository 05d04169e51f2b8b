"""paho's client with envoxy's read path: one ``recv``, every whole packet.

paho spends most of a consumer's time reading: a ``select`` and three
``recv`` calls per packet, then Python parsing (MQTT 5 properties built into
objects for every message, a ``Condition`` per message). ``BufferedClient``
keeps paho for everything else (connect, keepalive, reconnects, publishing,
QoS 2's handshake) and replaces only the read: up to ``READ_SIZE`` bytes per
``recv``, framed at once by the compiled ``envoxy.mqtt._wire`` hot path, each
QoS 0/1 PUBLISH handed to ``on_wire_publish`` as plain values (properties
parsed only if a handler asks, see ``WireMessage``). Every other packet goes
through paho's own handlers, as if paho had read it.

Limits: a packet larger than ``max_packet`` bytes is never buffered; a
PUBLISH is dropped by its head (and acknowledged at QoS 1/2, like a malformed
message), anything else is a protocol error, which drops the connection, as
a malformed packet does. Under MQTT 3.1.1, which cannot tell the broker a
maximum, this is the only bound.

This relies on a few of paho's internal names (those of 2.1 and 2.2);
``SUPPORTED`` is false when the installed paho lacks one, and the connection
then uses paho's own read path (slower, same behaviour), saying so at debug.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from typing import Any, cast

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from envoxy import _speedups
from envoxy.utils.logs import log

__all__ = ["READ_SIZE", "SUPPORTED", "BufferedClient", "WireMessage", "new_client"]

_wire = _speedups.load("mqttwire")
_split = _wire.split_packets
_PUBLISH = _wire.PUBLISH

#: bytes asked of the socket per read (one ``recv`` frames them all)
READ_SIZE = 256 * 1024

_SUCCESS = paho.MQTT_ERR_SUCCESS
_AGAIN = paho.MQTT_ERR_AGAIN
_LOST = paho.MQTT_ERR_CONN_LOST
_PROTOCOL = paho.MQTT_ERR_PROTOCOL
_now = time.monotonic

try:  # paho 2.2 raises it from its packet decoders
    from paho.mqtt.exception import MalformedPacket as _Malformed  # type: ignore
except ImportError:  # paho 2.1
    _Malformed = ValueError  # type: ignore[misc,assignment]

_PAHO_INTERNALS = (
    "_packet_read",
    "_packet_handle",
    "_sock_recv",
    "_send_pubrec",
    "_easy_log",
)
#: the keepalive clock paho reads: 2.2 names it _last_bytes_received, 2.1 _last_msg_in
_CLOCKS = ("_last_bytes_received", "_last_msg_in")
_INSTANCE_INTERNALS = (
    "_in_packet",
    "_in_messages",
    "_in_message_mutex",
    "_msgtime_mutex",
)


def _empty_in_packet() -> dict[str, Any]:
    """paho's idle read state (reset after each packet it reads itself)."""
    return {
        "command": 0,
        "have_remaining": 0,
        "remaining_count": [],
        "remaining_mult": 1,
        "remaining_length": 0,
        "packet": bytearray(b""),
        "to_process": 0,
        "pos": 0,
    }


class WireMessage(paho.MQTTMessage):
    """A paho ``MQTTMessage`` for callbacks that take one, made from the
    framed values: the topic already decoded, MQTT 5 properties parsed on
    first access, no ``MQTTMessageInfo`` (a ``Condition``) unless asked for."""

    __slots__ = ("_info", "_parsed", "_raw_properties", "_text")

    def __init__(
        self,
        topic: str,
        payload: bytes | None,
        command: int,
        mid: int,
        properties: bytes | None,
    ) -> None:
        # not paho's __init__: it builds a MQTTMessageInfo per message
        self.timestamp = _now()
        self.state = paho.mqtt_ms_invalid
        self.dup = bool(command & 0x08)
        self.qos = (command >> 1) & 3
        self.retain = bool(command & 0x01)
        self.mid = mid
        self._text = topic
        self._topic = topic.encode("utf-8")
        self.payload = payload  # type: ignore[assignment]  # None: over the limit
        self._raw_properties = properties
        self._parsed: Properties | None = None
        self._info: paho.MQTTMessageInfo | None = None

    @property
    def topic(self) -> str:
        return self._text

    @topic.setter  # type: ignore[override]
    def topic(self, value: str) -> None:
        self._text, self._topic = value, value.encode("utf-8")

    @property  # type: ignore[override]
    def properties(self) -> Properties | None:
        if self._parsed is None and self._raw_properties is not None:
            parsed = Properties(PacketTypes.PUBLISH)
            parsed.unpack(self._raw_properties)
            self._parsed = parsed
        return self._parsed

    @properties.setter
    def properties(self, value: Properties | None) -> None:
        self._parsed, self._raw_properties = value, None

    @property  # type: ignore[override]
    def info(self) -> paho.MQTTMessageInfo:
        if self._info is None:
            self._info = paho.MQTTMessageInfo(self.mid)
        return self._info

    @info.setter
    def info(self, value: paho.MQTTMessageInfo) -> None:
        self._info = value


#: on_wire_publish(client, userdata, topic, payload, command, mid, properties)
WirePublish = Callable[[Any, Any, Any, "bytes | None", int, int, "bytes | None"], None]


class BufferedClient(paho.Client):
    """``paho.Client`` reading whole buffers (see the module docstring)."""

    on_wire_publish: WirePublish | None = None
    max_packet: int = 268_435_460  # MQTT's largest packet; set per connection

    def _packet_read(self) -> int:  # type: ignore[override]
        state = self.__dict__
        if state.get("_wire_sock") is not self._sock:  # a new connection
            state["_wire_sock"] = self._sock
            state["_wire_buf"] = bytearray()
            state["_wire_skip"] = 0
        try:
            chunk = self._sock_recv(READ_SIZE)
        except BlockingIOError:
            return _AGAIN
        except OSError as err:
            self._easy_log(paho.MQTT_LOG_ERR, "failed to receive on socket: %s", err)
            return _LOST
        if not chunk:
            return _LOST
        with self._msgtime_mutex:
            state[_clock] = _now()
        skip = state["_wire_skip"]
        if skip:  # the rest of a packet over the limit: discarded unread
            if len(chunk) <= skip:
                state["_wire_skip"] = skip - len(chunk)
                return _SUCCESS
            chunk = chunk[skip:]
        buf = state["_wire_buf"]
        buf += chunk
        try:
            packets, used, skip = _split(
                buf, self._protocol == paho.MQTTv5, self.max_packet
            )
        except ValueError as exc:
            log.error(f"mqtt: the broker sent a malformed packet ({exc}); reconnecting")
            return _PROTOCOL
        del buf[:used]
        state["_wire_skip"] = skip
        deliver = self.on_wire_publish
        userdata = self._userdata
        for packet in packets:
            command = packet[0]
            if command & 0xF0 != _PUBLISH:
                rc = self._paho_handles(command, packet[4])
                if rc:
                    return rc
            elif (command & 0x06) == 0x04:  # QoS 2: paho's handshake, then on_message
                rc = self._qos2(packet)
                if rc:
                    return rc
            elif deliver is not None:
                if packet[4] is None:
                    _say_dropped(packet, self.max_packet)
                deliver(
                    self, userdata, packet[1], packet[4], command, packet[2], packet[3]
                )
        return _SUCCESS

    def _paho_handles(self, command: int, body: bytes) -> int:
        """A packet other than PUBLISH: paho's handler, as if paho read it."""
        state = _empty_in_packet()
        state.update(
            command=command,
            have_remaining=1,
            remaining_length=len(body),
            packet=bytearray(body),
        )
        self._in_packet = cast(Any, state)
        try:
            return int(self._packet_handle())
        except (_Malformed, ValueError, struct.error, IndexError) as exc:
            log.error(
                f"mqtt: the broker sent a malformed packet ({exc!r}); reconnecting"
            )
            return _PROTOCOL
        finally:
            self._in_packet = cast(Any, _empty_in_packet())

    def _qos2(self, packet: tuple[Any, ...]) -> int:
        """PUBREC now; paho delivers it (``on_message``) when PUBREL comes."""
        command, topic, mid, properties, payload, _size = packet
        if isinstance(topic, bytes):  # not UTF-8: on_message says it is dropped
            topic = topic.decode("utf-8", "replace")
            payload = None
        if payload is None:
            _say_dropped(packet, self.max_packet)
        message = WireMessage(topic, payload, command, mid, properties)
        rc = int(self._send_pubrec(mid))
        message.state = paho.mqtt_ms_wait_for_pubrel
        with self._in_message_mutex:
            self._in_messages[mid] = message
        return rc


def _say_dropped(packet: tuple[Any, ...], limit: int) -> None:
    log.warning(
        f"mqtt: dropped a message of {packet[5]} bytes on {packet[1]!r}: "
        f"over max_message_bytes ({limit})"
    )


def _supported() -> tuple[bool, str]:
    missing = [name for name in _PAHO_INTERNALS if not hasattr(paho.Client, name)]
    try:
        probe = paho.Client(paho.CallbackAPIVersion.VERSION2)
    except Exception as exc:  # a paho whose constructor changed
        return False, f"paho.Client() failed: {exc!r}"
    missing += [name for name in _INSTANCE_INTERNALS if not hasattr(probe, name)]
    clocks = [name for name in _CLOCKS if hasattr(probe, name)]
    if not clocks:
        missing.append(" or ".join(_CLOCKS))
    if missing:
        return False, "paho lacks " + ", ".join(missing)
    return True, clocks[0]


SUPPORTED, _clock = _supported()
if not SUPPORTED:
    log.debug(f"mqtt: paho's own read path is used ({_clock})")


def new_client(buffered: bool = True, **kwargs: Any) -> paho.Client:
    """A ``BufferedClient`` when this paho supports it, else a plain one."""
    if buffered and SUPPORTED:
        return BufferedClient(**kwargs)
    return paho.Client(**kwargs)
