"""``amqp_servers``: the Celery app, built once where the service is loaded
(before the fork; workers share its configuration and connect on first
send)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from envoxy.celery.client import Client, celery_settings
from envoxy.connectors import Connector


class CeleryConnector(Connector):
    name = "amqp_servers"
    checked = False  # a send retries within its own bounded policy

    def parse(
        self, key: str, conf: Mapping[str, Any], config: Mapping[str, Any]
    ) -> None:
        celery_settings(config, key)

    def boot(self, config: Mapping[str, Any], views: list[Any]) -> None:
        Client.initialize()


CONNECTOR = CeleryConnector()
