"""``couchdb_servers``: ``couchdbc``'s pool; readiness is the server's
welcome (``GET /``) with the entry's credentials."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import urllib3

from envoxy.connectors import Connector
from envoxy.couchdb.client import Client, server_of
from envoxy.utils.config import Config


class CouchDbConnector(Connector):
    name = "couchdb_servers"

    def parse(
        self, key: str, conf: Mapping[str, Any], config: Mapping[str, Any]
    ) -> None:
        server_of(key, conf)

    def check(self, key: str, timeout: float) -> dict[str, Any]:
        server = server_of(key, (Config.get(self.name) or {})[key])
        reply = urllib3.request(
            "GET",
            server.base + "/",
            headers=server.headers,
            timeout=timeout,
            retries=False,
        )
        return {"ok": reply.status == 200}

    def close(self, deadline: float) -> None:
        client = Client.existing()
        if client is not None:
            client.close()


CONNECTOR = CouchDbConnector()
