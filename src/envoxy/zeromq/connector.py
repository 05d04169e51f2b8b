"""``zmq_servers``: ``zmqc``'s sockets to the Zapata data layers, built in
each worker after the fork. Readiness does not call the data layers (a
request to one is the caller's business, bounded by its deadline)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from envoxy.connectors import Connector
from envoxy.zeromq.client import forget_after_fork
from envoxy.zeromq.dispatcher import Dispatcher
from envoxy.zeromq.settings import parse_server, parse_workers


class ZmqClientConnector(Connector):
    name = "zmq_servers"
    checked = False

    def parse(
        self, key: str, conf: Mapping[str, Any], config: Mapping[str, Any]
    ) -> None:
        parse_server(key, conf, parse_workers(config.get("zmq_workers")))

    def start(self, config: Mapping[str, Any], views: list[Any], events: bool) -> None:
        Dispatcher.initialize()

    def close(self, deadline: float) -> None:
        Dispatcher.shutdown()

    def after_fork(self) -> None:
        forget_after_fork()


CONNECTOR = ZmqClientConnector()
