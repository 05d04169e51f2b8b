"""``clickhouse_servers``: ``chsqlc``'s clients; readiness is ``SELECT 1``
on a client of the check's own, with its timeout."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from envoxy.clickhouse.client import Client, connect, driver, server_settings
from envoxy.connectors import Connector
from envoxy.utils.config import Config


class ClickHouseConnector(Connector):
    name = "clickhouse_servers"

    def parse(
        self, key: str, conf: Mapping[str, Any], config: Mapping[str, Any]
    ) -> None:
        server_settings(key, conf)
        driver()  # configured without the extra installed: a boot error

    def check(self, key: str, timeout: float) -> dict[str, Any]:
        server = server_settings(key, (Config.get(self.name) or {})[key])
        connection = connect(
            server, connect_timeout=timeout, send_receive_timeout=timeout
        )
        try:
            return {"ok": connection.client.command("SELECT 1") == 1}
        finally:
            connection.close()

    def close(self, deadline: float) -> None:
        client = Client.existing()
        if client is not None:
            client.close()

    def after_fork(self) -> None:
        client = Client.existing()
        if client is not None:
            client.forget_after_fork()


CONNECTOR = ClickHouseConnector()
