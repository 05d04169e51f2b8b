"""``mqtt_servers``: the events worker subscribes the MQTT views and connects
every broker, subscriptions or not (a publish-only service is ready once
connected); other workers connect when they first publish. Readiness comes
from the events worker (connected, how many subscriptions)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from envoxy.connectors import Connector
from envoxy.mqtt.dispatcher import Dispatcher, MqttConnector
from envoxy.mqtt.settings import parse_server, parse_workers
from envoxy.mqtt.views import register_mqtt_views

#: the longest a shutdown waits for the broker to acknowledge what it accepted
FLUSH_S = 5.0


class MqttServersConnector(Connector):
    name = "mqtt_servers"
    events_only = True

    def parse(
        self, key: str, conf: Mapping[str, Any], config: Mapping[str, Any]
    ) -> None:
        parse_workers(config.get("mqtt_workers"))
        parse_server(key, conf, None)  # issued credentials only change the login

    def start(self, config: Mapping[str, Any], views: list[Any], events: bool) -> None:
        if events:
            register_mqtt_views(views)
            Dispatcher.initialize()  # the brokers without subscriptions too

    def check(self, key: str, timeout: float) -> dict[str, Any]:
        connection = MqttConnector.instance().connections.get(key)
        if connection is None:
            return {"ok": False, "error": "not configured"}
        subscriptions = len(getattr(connection, "_subscriptions", {}))
        return {"ok": connection.is_connected(), "subscriptions": subscriptions}

    def close(self, deadline: float) -> None:
        flush = max(0.0, min(FLUSH_S, deadline - time.monotonic()))
        Dispatcher.shutdown(flush_timeout=flush)


CONNECTOR = MqttServersConnector()
