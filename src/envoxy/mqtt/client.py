"""One MQTT connection per ``mqtt_servers`` key (paho-mqtt 2.x, callback API v2).

MQTT 5 is asked for first and 3.1.1 used when the broker refuses it. paho's
network thread reconnects by itself (1 s to 30 s backoff); every successful
connect re-subscribes every stored subscription at its own QoS, so a broker
restart loses nothing but the outage. With a fixed ``client_id`` the session
is persistent (QoS 1/2 messages wait for the client while it is away).
"""

from __future__ import annotations

import ssl
import threading
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from envoxy.mqtt.handlers import MessageRouter
from envoxy.mqtt.settings import BrokerSettings
from envoxy.utils.logs import log

__all__ = ["Connection"]

_UNSUPPORTED_PROTOCOL = (1, 132)  # 3.1.1 CONNACK 1 / MQTT 5 reason 0x84


def _subscription_filter(pattern: str) -> str:
    """``{var}`` levels are ``+`` for the broker."""
    return "/".join(
        "+" if level.startswith("{") and level.endswith("}") else level
        for level in pattern.split("/")
    )


class Connection:
    """A paho client, its subscriptions, and its connected state."""

    def __init__(self, settings: BrokerSettings, router: MessageRouter) -> None:
        self.settings = settings
        self.router = router
        self._subscriptions: dict[str, int] = {}
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._answered = threading.Event()
        self._last_error = ""
        self._protocol = settings.protocol
        self._client: paho.Client | None = None
        self._started = False

    # -- lifecycle -------------------------------------------------------------------
    def _make_client(self) -> paho.Client:
        s = self.settings
        protocol = paho.MQTTv5 if self._protocol == 5 else paho.MQTTv311
        kwargs: dict[str, Any] = {
            "callback_api_version": CallbackAPIVersion.VERSION2,
            "client_id": s.client_id,
            "protocol": protocol,
            "reconnect_on_failure": True,
        }
        if protocol == paho.MQTTv311:
            kwargs["clean_session"] = not s.persistent
        client = paho.Client(**kwargs)
        if s.username is not None:
            client.username_pw_set(s.username, s.password)
        if s.tls:
            client.tls_set(ca_certs=s.cert_path, cert_reqs=ssl.CERT_REQUIRED)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.max_queued_messages_set(
            10_000
        )  # bounded: QoS>0 publishes kept while away
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
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
        if self._protocol == 5:
            properties = Properties(PacketTypes.CONNECT)
            if s.persistent:
                properties.SessionExpiryInterval = s.session_expiry
            kwargs["clean_start"] = not s.persistent
            kwargs["properties"] = properties
        try:
            self._client.connect_async(s.host, s.port, **kwargs)
        except (OSError, ValueError) as exc:
            log.error(f"mqtt {s.key}: cannot reach {s.address}: {exc}")
        self._client.loop_start()
        self._started = True

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
            self._started = False
        self._connected.clear()
        if client is not None:
            client.disconnect()
            client.loop_stop()

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
        with self._lock:
            subscriptions = list(self._subscriptions.items())
        for pattern, qos in subscriptions:
            client.subscribe(_subscription_filter(pattern), qos=qos)
        self._connected.set()
        self._answered.set()
        where = f"mqtt {self.settings.key}: connected to {self.settings.address}"
        log.info(f"{where}, {len(subscriptions)} subscriptions restored")

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        self._connected.clear()
        if reason.is_failure:
            where = f"mqtt {self.settings.key}: lost {self.settings.address}"
            log.warning(f"{where} ({reason}); reconnecting")

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        try:
            self.router.dispatch(self.settings.key, client, userdata, message)
        except Exception as exc:  # the network thread must survive any message
            log.error(
                f"mqtt {self.settings.key}: could not route {message.topic!r}: {exc!r}"
            )

    # -- operations -------------------------------------------------------------------
    def subscribe(self, pattern: str, qos: int = 0) -> bool:
        """Remember the subscription (it is restored on every reconnect) and send it."""
        if qos not in (0, 1, 2):
            raise ValueError(f"qos must be 0, 1 or 2, got {qos!r}")
        with self._lock:
            self._subscriptions[pattern] = max(qos, self._subscriptions.get(pattern, 0))
            client = self._client
        if client is None or not self._connected.is_set():
            return False  # sent by _on_connect
        result, _ = client.subscribe(_subscription_filter(pattern), qos=qos)
        return result == paho.MQTT_ERR_SUCCESS

    def unsubscribe(self, pattern: str) -> None:
        with self._lock:
            self._subscriptions.pop(pattern, None)
            client = self._client
        if client is not None and self._connected.is_set():
            client.unsubscribe(_subscription_filter(pattern))

    def publish(
        self, topic: str, payload: bytes, qos: int = 0, retain: bool = False
    ) -> bool:
        """Hand the message to paho. QoS 1/2 messages are kept while disconnected."""
        if qos not in (0, 1, 2):
            raise ValueError(f"qos must be 0, 1 or 2, got {qos!r}")
        client = self._client
        if client is None:
            return False
        info = client.publish(topic, payload, qos=qos, retain=retain)
        return info.rc == paho.MQTT_ERR_SUCCESS or (
            qos > 0 and info.rc == paho.MQTT_ERR_NO_CONN
        )
