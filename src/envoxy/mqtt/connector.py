"""``mqtt_servers``: the events worker subscribes the MQTT views and connects
every broker, subscriptions or not (a publish-only service is ready once
connected); other workers connect when they first publish. Readiness comes
from the events worker (connected, how many subscriptions)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from envoxy.connectors import Connector


class MqttServersConnector(Connector):
    name = "mqtt_servers"
    events_only = True

    def parse(
        self, key: str, conf: Mapping[str, Any], config: Mapping[str, Any]
    ) -> None:
        from envoxy.mqtt.settings import parse_server, parse_workers

        parse_workers(config.get("mqtt_workers"))
        parse_server(key, conf, config.get("credentials") or None)

    def boot(self, config: Mapping[str, Any]) -> None:
        import envoxy.mqtt.views  # noqa: F401  (imported once, before the fork)

    def start(self, config: Mapping[str, Any], views: list[Any], events: bool) -> None:
        if not events:
            return
        from envoxy.mqtt.dispatcher import Dispatcher
        from envoxy.mqtt.views import register_mqtt_views

        register_mqtt_views(views)
        Dispatcher.initialize()  # the brokers without subscriptions too

    def check(self, key: str, timeout: float) -> dict[str, Any]:
        from envoxy.mqtt.dispatcher import MqttConnector as Connections

        connection = Connections.instance().connections.get(key)
        if connection is None:
            return {"ok": False, "error": "not configured"}
        subscriptions = len(getattr(connection, "_subscriptions", {}))
        return {"ok": connection.is_connected(), "subscriptions": subscriptions}

    def close(self) -> None:
        from envoxy.mqtt.dispatcher import Dispatcher

        Dispatcher.shutdown()


CONNECTOR = MqttServersConnector()
