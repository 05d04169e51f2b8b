"""One MQTT connection per ``mqtt_servers`` key (paho-mqtt 2.x, callback API v2).

MQTT 5 is asked for first and 3.1.1 used when the broker refuses it. paho's
network thread reconnects by itself (1 s to ``reconnect_max_delay``, 5 s,
backoff); every successful connect re-subscribes every stored subscription at
its own QoS. Sessions are persistent (envoxy.mqtt.settings): with a fixed
``client_id``, or under MQTT 5 with an id made for this process, so QoS 1/2
messages wait at the broker while the client is away.

Publishing QoS 1/2: accepted messages stay in paho's session until the broker
acknowledges them, and are sent again after a reconnect. While the broker is
away at most ``outbox`` are accepted (then ``publish`` says ``False``: the
caller knows); ``close`` waits (bounded) until every accepted one is
acknowledged, so a graceful stop loses none either.

Subscribing: while a SUBSCRIBE waits for its SUBACK, new subscriptions queue
and go out together, in packets of at most ``SUBSCRIBE_BATCH`` filters, when
it comes (a burst of 100k ``subscribe`` calls is ~1,600 packets, not 100k; a
lone one is sent at once). ``publish`` and ``unsubscribe`` send the queue
first, so the broker sees operations in the order they were made. A filter
the broker refuses is logged.
"""

from __future__ import annotations

import collections
import os
import secrets
import socket
import ssl
import threading
import time
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from envoxy.mqtt.acks import InOrderAcks
from envoxy.mqtt.handlers import MessageRouter
from envoxy.mqtt.reader import BufferedClient, new_client
from envoxy.mqtt.settings import BrokerSettings
from envoxy.routing.grammar import parse_topic
from envoxy.utils.logs import log

__all__ = ["Connection"]

_UNSUPPORTED_PROTOCOL = (1, 132)  # 3.1.1 CONNACK 1 / MQTT 5 reason 0x84

#: most filters in one SUBSCRIBE packet (paho builds 64 faster per filter than
#: 1024: 0.67 s vs 1.36 s for 100k, bare paho here), and most bytes in it
SUBSCRIBE_BATCH = 64
SUBSCRIBE_BATCH_BYTES = 64 * 1024


def _uwsgi_worker() -> tuple[int, int] | None:
    """``(master pid, worker number)`` inside a uWSGI worker, else ``None``."""
    try:
        import uwsgi  # type: ignore[import-not-found]
    except ImportError:
        return None
    worker = int(uwsgi.worker_id())
    return (int(uwsgi.masterpid()), worker) if worker > 0 else None


_random_part = {"pid": -1, "token": ""}


def session_name() -> str:
    """This process's MQTT 5 session name. Under uWSGI: the daemon's master
    pid and the worker's number, so a respawned or chain-reloaded worker
    resumes its session (and what the broker queued for it meanwhile);
    elsewhere the pid and a random part, made once per process."""
    host = socket.gethostname().split(".")[0][:24] or "host"
    worker = _uwsgi_worker()
    if worker is not None:
        return f"envoxy-{host}-{worker[0]}-w{worker[1]}"
    if _random_part["pid"] != os.getpid():  # first use, or a forked child
        _random_part.update(pid=os.getpid(), token=secrets.token_hex(4))
    return f"envoxy-{host}-{os.getpid()}-{_random_part['token']}"


def _subscription_filter(pattern: str) -> str:
    """What the broker is subscribed to (the grammar's broker filter)."""
    return parse_topic(pattern).broker_filter


class Connection:
    """A paho client, its subscriptions, and its connected state."""

    def __init__(self, settings: BrokerSettings, router: MessageRouter) -> None:
        self.settings = settings
        self.router = router
        # pattern -> (broker filter, QoS): restored on every connect
        self._subscriptions: dict[str, tuple[str, int]] = {}
        # filters waiting for the SUBSCRIBE in flight to be acknowledged
        self._unsent: list[tuple[str, int]] = []
        self._in_flight: dict[int, list[tuple[str, int]]] = {}  # mid -> filters
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._answered = threading.Event()
        self._last_error = ""
        self._protocol = settings.protocol
        self._client: paho.Client | None = None
        self._started = False
        # QoS 1/2 messages accepted while the broker was away, sent on connect
        self._outbox: collections.deque[tuple[str, bytes, int, bool]] = (
            collections.deque()
        )
        self._outbox_lock = threading.Lock()
        # messages handed to paho and not known to be acknowledged, oldest first
        self._pending: collections.deque[Any] = collections.deque()
        self._pending_lock = threading.Lock()
        # QoS 1/2 messages received and not yet acknowledged (handled first)
        self._acks = InOrderAcks()

    # -- lifecycle -------------------------------------------------------------------
    def _client_id(self) -> str:
        """The configured id; under MQTT 5 without one, this process's own."""
        if self.settings.client_id or self._protocol != 5:
            return self.settings.client_id
        return f"{session_name()}-{self.settings.key}"

    def _make_client(self) -> paho.Client:
        s = self.settings
        protocol = paho.MQTTv5 if self._protocol == 5 else paho.MQTTv311
        kwargs: dict[str, Any] = {
            "callback_api_version": CallbackAPIVersion.VERSION2,
            "client_id": self._client_id(),
            "protocol": protocol,
            "reconnect_on_failure": True,
        }
        if protocol == paho.MQTTv311:
            kwargs["clean_session"] = not s.persistent
        client = new_client(**kwargs)
        if isinstance(client, BufferedClient):  # QoS 0/1 straight from the framer
            client.on_wire_publish = self._on_wire_publish
            client.max_packet = s.max_message_bytes
        if s.username is not None:
            client.username_pw_set(s.username, s.password)
        if s.tls:
            client.tls_set(ca_certs=s.cert_path, cert_reqs=ssl.CERT_REQUIRED)
        client.reconnect_delay_set(
            min_delay=1, max_delay=max(1, int(s.reconnect_max_delay))
        )
        # hard cap on everything unacknowledged (the outbox is far below it)
        client.max_queued_messages_set(10_000)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.manual_ack_set(True)  # acknowledged once handled (envoxy.mqtt.acks)
        return client

    def connect(self, timeout: float | None = None) -> bool:
        """Start connecting (once) and wait up to ``timeout`` seconds for the
        broker's first answer. Later calls never wait: paho is already
        reconnecting in the background, and publishers must not stall."""
        with self._lock:
            if self._started:
                return self._connected.is_set()
            self._start()
        self._answered.wait(
            self.settings.connect_timeout if timeout is None else timeout
        )
        if (
            not self._connected.is_set()
            and self._protocol == 5
            and self._last_error == "protocol"
        ):
            self.close()
            self._protocol = 4  # the broker refused MQTT 5: use 3.1.1
            with self._lock:
                self._start()
            self._answered.wait(
                self.settings.connect_timeout if timeout is None else timeout
            )
        return self._connected.is_set()

    def _start(self) -> None:
        s = self.settings
        self._client = self._make_client()
        self._answered.clear()
        properties = None
        kwargs: dict[str, Any] = {"keepalive": s.keepalive}
        if self._protocol == 5:  # always a session of its own (see _client_id)
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = s.session_expiry
            # the broker must not send us anything larger (it drops it)
            properties.MaximumPacketSize = s.max_message_bytes
            kwargs["clean_start"] = False
            kwargs["properties"] = properties
        try:
            self._client.connect_async(s.host, s.port, **kwargs)
        except (OSError, ValueError) as exc:
            log.error(f"mqtt {s.key}: cannot reach {s.address}: {exc}")
        self._client.loop_start()
        self._started = True

    def close(self, flush_timeout: float = 0.0) -> bool:
        """Disconnect, after waiting up to ``flush_timeout`` seconds for the
        broker to acknowledge every QoS 1/2 message accepted; whether it did."""
        flushed = self.flush(flush_timeout) if self._connected.is_set() else False
        with self._lock:
            client, self._client = self._client, None
            self._started = False
        self._connected.clear()
        if client is not None:
            network = getattr(client, "_thread", None)  # paho clears it at its end
            client.disconnect()
            try:
                client.loop_stop()
            except AttributeError:
                # paho 2.x race: its network thread ended (and set _thread to
                # None) between loop_stop's check and its join; wait for it
                if network is not None:
                    network.join(5)
        self._prune()
        lost = len(self._pending) + len(self._outbox)
        self._pending, self._outbox = collections.deque(), collections.deque()
        if lost:
            where = f"mqtt {self.settings.key}"
            log.warning(f"{where}: closed with {lost} QoS 1/2 messages unacknowledged")
        return flushed or not lost

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until the broker acknowledged every
        QoS 1/2 message accepted so far; whether it did."""
        deadline = time.monotonic() + timeout
        while True:
            self._prune()
            if not self._pending and not self._outbox:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    def _prune(self) -> None:
        """Forget the acknowledged messages at the front (acks come in order)."""
        with self._pending_lock:
            pending = self._pending
            while pending and pending[0].is_published():
                pending.popleft()

    def is_connected(self) -> bool:
        return self._connected.is_set()

    # -- paho callbacks (network thread) -----------------------------------------------
    def _on_connect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            code = getattr(reason, "value", 0)
            self._last_error = (
                "protocol" if code in _UNSUPPORTED_PROTOCOL else str(reason)
            )
            where = f"mqtt {self.settings.key}: {self.settings.address}"
            log.error(f"{where} refused the connection: {reason}")
            self._answered.set()
            return
        self._acks.reset()  # the old connection's unacknowledged come again
        with self._lock:
            self._in_flight.clear()
            self._unsent = list(self._subscriptions.values())
            subscriptions = len(self._unsent)
            self._send_unsent(client)
            # under the lock: a subscribe made meanwhile is either in the copy
            # or sees the connection up and sends itself
            self._connected.set()
        self._replay()
        self._answered.set()
        where = f"mqtt {self.settings.key}: connected to {self.settings.address}"
        log.info(f"{where}, {subscriptions} subscriptions restored")

    def _on_subscribe(
        self, client: Any, userdata: Any, mid: int, reasons: Any, properties: Any
    ) -> None:
        """A SUBACK: say which filters were refused, send what queued meanwhile."""
        with self._lock:
            sent = self._in_flight.pop(mid, [])
            for (broker_filter, _), reason in zip(sent, reasons or (), strict=False):
                if getattr(reason, "is_failure", False):
                    where = f"mqtt {self.settings.key}"
                    log.error(
                        f"{where}: the broker refused {broker_filter!r}: {reason}"
                    )
            if not self._in_flight:
                self._send_unsent(client)

    def _send_unsent(self, client: Any) -> None:
        """Send the queued filters in as few SUBSCRIBE packets as the bounds
        allow (caller holds ``_lock``). Not connected: they wait for the
        connect, which sends every subscription."""
        unsent, self._unsent = self._unsent, []
        start = 0
        while start < len(unsent):
            end, size = start, 0
            while end < len(unsent) and end - start < SUBSCRIBE_BATCH:
                size += len(unsent[end][0]) + 3
                if size > SUBSCRIBE_BATCH_BYTES and end > start:
                    break
                end += 1
            batch = unsent[start:end]
            start = end
            try:
                result, mid = client.subscribe(batch)
            except ValueError as exc:  # the grammar's filters are valid: a bug
                where = f"mqtt {self.settings.key}"
                log.error(f"{where}: cannot subscribe {len(batch)} filters: {exc}")
                continue
            if result != paho.MQTT_ERR_SUCCESS:
                return  # the connection went: _on_connect sends them all
            self._in_flight[mid] = batch

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        self._connected.clear()
        if reason.is_failure:
            where = f"mqtt {self.settings.key}: lost {self.settings.address}"
            log.warning(f"{where} ({reason}); reconnecting")

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        """QoS 2 (after paho's handshake), or every message on paho's own read path."""
        try:
            delivery = self._acks.receive(client, message.mid, message.qos)
            self.router.dispatch(self.settings.key, client, userdata, message, delivery)
        except Exception as exc:  # the network thread must survive any message
            log.error(f"mqtt {self.settings.key}: could not route a message: {exc!r}")

    def _on_wire_publish(
        self,
        client: Any,
        userdata: Any,
        topic: Any,
        payload: bytes | None,
        command: int,
        mid: int,
        properties: bytes | None,
    ) -> None:
        """A QoS 0/1 PUBLISH framed by envoxy.mqtt.reader (network thread)."""
        try:
            delivery = self._acks.receive(client, mid, (command >> 1) & 3)
            self.router.deliver(
                self.settings.key,
                client,
                userdata,
                topic,
                payload,
                command,
                mid,
                properties,
                delivery,
            )
        except Exception as exc:  # the network thread must survive any message
            log.error(f"mqtt {self.settings.key}: could not route {topic!r}: {exc!r}")

    # -- operations -------------------------------------------------------------------
    def subscribe(
        self, pattern: str, qos: int = 0, broker_filter: str | None = None
    ) -> bool:
        """Remember the subscription (it is restored on every reconnect) and send
        it. ``broker_filter``: the pattern's, when the caller parsed it already."""
        if qos not in (0, 1, 2):
            raise ValueError(f"qos must be 0, 1 or 2, got {qos!r}")
        if broker_filter is None:
            broker_filter = _subscription_filter(pattern)
        with self._lock:
            known = self._subscriptions.get(pattern)
            qos = max(qos, known[1]) if known else qos
            self._subscriptions[pattern] = (broker_filter, qos)
            client = self._client
            if client is None or not self._connected.is_set():
                return False  # sent by _on_connect
            self._unsent.append((broker_filter, qos))
            if not self._in_flight:  # else sent when the SUBACK comes
                self._send_unsent(client)
        return True

    def _send_queued(self) -> None:
        """Send the queued subscriptions now, ahead of another operation."""
        with self._lock:
            if self._unsent and self._client is not None:
                self._send_unsent(self._client)

    def unsubscribe(self, pattern: str) -> None:
        self._send_queued()
        with self._lock:
            known = self._subscriptions.pop(pattern, None)
            client = self._client
        if client is not None and self._connected.is_set():
            client.unsubscribe(known[0] if known else _subscription_filter(pattern))

    def publish(
        self,
        topic: str,
        payload: bytes,
        qos: int = 0,
        retain: bool = False,
        confirm: float | None = None,
    ) -> bool:
        """Whether the message was accepted. QoS 1/2: it is then sent (again
        after a reconnect) until the broker acknowledges it; while the broker
        is away up to ``outbox`` are accepted and sent on connect, then
        ``False``. QoS 0 is accepted only while connected. ``confirm=s``: wait
        up to ``s`` seconds for the broker's acknowledgement instead."""
        if qos not in (0, 1, 2):
            raise ValueError(f"qos must be 0, 1 or 2, got {qos!r}")
        if self._unsent:  # subscriptions made before this message go first
            self._send_queued()
        if confirm is not None and qos:
            return self._confirmed(topic, payload, qos, retain, confirm)
        if self._connected.is_set():
            return self._hand(topic, payload, qos, retain) is not None
        if qos == 0 or self._client is None:
            return False
        with self._outbox_lock:
            if len(self._outbox) >= self.settings.outbox:
                return False  # the caller learns now, instead of a silent loss
            self._outbox.append((topic, payload, qos, retain))
        if self._connected.is_set():  # connected meanwhile: send it now
            self._replay()
        return True

    def _confirmed(
        self, topic: str, payload: bytes, qos: int, retain: bool, timeout: float
    ) -> bool:
        deadline = time.monotonic() + timeout
        if not self._connected.wait(timeout):
            return False
        info = self._hand(topic, payload, qos, retain)
        if info is None:
            return False
        info.wait_for_publish(max(0.0, deadline - time.monotonic()))
        try:
            return bool(info.is_published())
        except (RuntimeError, ValueError):  # lost with the connection meanwhile
            return False

    def _hand(self, topic: str, payload: bytes, qos: int, retain: bool) -> Any:
        """Give the message to paho; its ``MQTTMessageInfo``, or ``None``."""
        client = self._client
        if client is None:
            return None
        info = client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc == paho.MQTT_ERR_SUCCESS:
            if qos:
                pending = self._pending
                pending.append(info)
                if pending[0].is_published():
                    self._prune()
            return info
        if qos and info.rc == paho.MQTT_ERR_NO_CONN:
            return info  # the link dropped just now: paho keeps and re-sends it
        return None

    def _replay(self) -> None:
        """Send what the outbox holds (on connect, network thread)."""
        with self._outbox_lock:
            waiting, self._outbox = self._outbox, collections.deque()
        for topic, payload, qos, retain in waiting:
            self._hand(topic, payload, qos, retain)
