"""``zmq_server``: the Zapata server of ``@on(protocols=["zmq"])`` views,
planned where the service is loaded, bound by the events worker only (one
process per port), checked by it (running) and stopped first at shutdown,
finishing its requests in flight within the drain budget."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from envoxy.connectors import Connector
from envoxy.zeromq.server import ZapataServer
from envoxy.zeromq.views import plan_zmq_server, server_options


class ZapataServerConnector(Connector):
    name = "zmq_server"
    single = True
    events_only = True

    def __init__(self) -> None:
        self.plan: Any = None
        self.server: ZapataServer | None = None

    def parse(
        self, key: str, conf: Mapping[str, Any], config: Mapping[str, Any]
    ) -> None:
        server_options(conf)

    def boot(self, config: Mapping[str, Any], views: list[Any]) -> None:
        self.plan = plan_zmq_server(views, config.get(self.name) or {})

    def start(self, config: Mapping[str, Any], views: list[Any], events: bool) -> None:
        if events and self.plan is not None:
            routes, options = self.plan
            self.server = ZapataServer(reply=routes.reply, **options).start()

    def check(self, key: str, timeout: float) -> dict[str, Any]:
        if self.plan is None:  # bound for no view: nothing to serve
            return {"ok": True, "views": 0}
        server = self.server
        if server is None:
            return {"ok": False, "error": "not started"}
        return {"ok": server.running, "address": server.address}

    def close(self, deadline: float) -> None:
        server, self.server = self.server, None
        if server is not None:
            server.stop(timeout=max(0.0, deadline - time.monotonic()))

    def after_fork(self) -> None:
        self.server = None  # the parent's sockets are not ours; the plan is


CONNECTOR = ZapataServerConnector()
