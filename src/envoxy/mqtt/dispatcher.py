"""``mqttc``: publish and consume MQTT messages by ``mqtt_servers`` key.

``publish(server_key, topic, message, no_envelope=False, qos=0, retain=False)``
sends JSON; by default ``message`` (a dict) is wrapped as
``{**message, "headers": {...}, "resource": topic}`` without touching the
caller's dict. ``subscribe(server_key, topic, callback, qos=0)`` calls
``callback(client, userdata, msg)`` as upstream did; ``on(server_key, topic,
handler, qos=0)`` calls ``handler(data, topic=..., **vars)`` with the decoded
JSON and the ``{var}`` levels of the pattern.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from envoxy.exceptions import ConfigError, ValidationException
from envoxy.routing.grammar import parse_topic
from envoxy.utils.encoders import envoxy_json_dumps
from envoxy.utils.headers import generate_headers
from envoxy.utils.logs import log
from envoxy.utils.singleton import Singleton

__all__ = ["Dispatcher", "MqttConnector"]


class MqttConnector(Singleton):
    """The process's MQTT connections and their shared handler pool."""

    def __init__(self, servers: Mapping[str, Any] | None = None) -> None:
        from envoxy.mqtt.client import Connection
        from envoxy.mqtt.handlers import BoundedPool, MessageRouter
        from envoxy.mqtt.settings import parse_server, parse_workers
        from envoxy.utils.config import Config

        conf = Config.get("mqtt_servers") if servers is None else servers
        if not conf:
            raise ConfigError("Error to find MQTT Servers config")
        self.pool = BoundedPool(*parse_workers(Config.get("mqtt_workers")))
        self.router = MessageRouter(self.pool)
        credentials = Config.get_credentials() or None
        self.connections = {
            key: Connection(parse_server(key, value, credentials), self.router)
            for key, value in conf.items()
            if isinstance(value, Mapping)
        }
        self._lock = threading.Lock()

    def connection(self, server_key: str, connect: bool = True) -> Any:
        connection = self.connections.get(server_key)
        if connection is None:
            raise ConfigError(
                f"No configuration found for mqtt server key: {server_key!r}"
            )
        if connect and not connection.is_connected():
            connection.connect()
        return connection

    def shutdown(self, wait: bool = True, flush_timeout: float = 5.0) -> None:
        """Disconnect every broker (each first waits up to ``flush_timeout``
        seconds for its QoS 1/2 messages to be acknowledged), then let the
        handlers in flight finish."""
        for connection in self.connections.values():
            connection.close(flush_timeout)
        self.pool.shutdown(wait=wait)


def _connector() -> MqttConnector:
    return MqttConnector.instance()


def _bind(
    server_key: str, topic: str, func: Callable[..., Any] | None, style: str, qos: int
) -> bool:
    """Register ``func`` for ``topic`` and subscribe (now, or on connect)."""
    connector = _connector()
    connection = connector.connection(server_key, connect=False)
    # PERF(mqtt-subscribe): parsed once for the router and the broker filter
    parsed = parse_topic(topic)
    if func is not None:
        connector.router.add(server_key, topic, func, style, parsed)
    subscribed = connection.subscribe(topic, qos, parsed.broker_filter)
    if not connection.is_connected():
        connection.connect()
    return bool(subscribed or connection.is_connected())


class Dispatcher:
    """Upstream's static API, plus ``on``, ``unsubscribe`` and QoS/retain."""

    generate_headers = staticmethod(generate_headers)

    @staticmethod
    def initialize() -> MqttConnector:
        """Create the connections and connect each (bounded wait)."""
        connector = _connector()
        for key, connection in connector.connections.items():
            if not connection.connect():
                log.warning(f"mqtt {key}: not connected yet; paho keeps retrying")
        return connector

    @staticmethod
    def instance() -> MqttConnector:
        return _connector()

    @staticmethod
    def publish(
        server_key: str,
        topic: str,
        message: Any,
        no_envelope: bool = False,
        qos: int = 0,
        retain: bool = False,
        confirm: float | None = None,
    ) -> bool:
        """Send ``message`` as JSON; ``True`` when it was accepted (QoS 1/2:
        kept and re-sent until the broker acknowledges it; while the broker is
        away at most ``outbox`` are accepted, then ``False``). ``confirm=s``:
        wait up to ``s`` seconds for the broker's acknowledgement."""
        if no_envelope:
            payload = envoxy_json_dumps(message)
        else:
            if not isinstance(message, Mapping):
                raise ValidationException(
                    "an MQTT envelope needs a dict message (or no_envelope=True)",
                    code=1202,
                    status=400,
                )
            payload = envoxy_json_dumps(
                {**message, "headers": generate_headers(), "resource": topic}
            )
        return bool(
            _connector()
            .connection(server_key)
            .publish(topic, payload, qos=qos, retain=retain, confirm=confirm)
        )

    @staticmethod
    def subscribe(
        server_key: str,
        topic: str,
        callback: Callable[..., Any] | None = None,
        qos: int = 0,
    ) -> bool:
        """Upstream style: ``callback(client, userdata, msg)`` for each message."""
        from envoxy.mqtt.handlers import PAHO

        return _bind(server_key, topic, callback, PAHO, qos)

    @staticmethod
    def on(
        server_key: str, topic: str, handler: Callable[..., Any], qos: int = 0
    ) -> bool:
        """``handler(data, topic=..., **vars)`` for each JSON message on ``topic``."""
        from envoxy.mqtt.handlers import DATA

        return _bind(server_key, topic, handler, DATA, qos)

    @staticmethod
    def unsubscribe(
        server_key: str, topic: str, callback: Callable[..., Any] | None = None
    ) -> None:
        connector = _connector()
        connector.router.remove(server_key, topic, callback)
        connector.connection(server_key, connect=False).unsubscribe(topic)

    @staticmethod
    def shutdown(wait: bool = True, flush_timeout: float = 5.0) -> None:
        if MqttConnector._instance is not None:
            MqttConnector.instance().shutdown(wait, flush_timeout)
            MqttConnector.reset_instance()


mqttc = Dispatcher
