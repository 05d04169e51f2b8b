"""``zmqc``: Zapata requests to the ``zmq_servers`` of envoxy.json.

``zmqc.get(server_key, url, params=None, payload=None, headers=None,
future=False)`` (and ``post put patch delete head``) returns the reply dict
(``status``, ``resource``, ``headers``, ``payload``), or a Future with
``future=True``. A server that does not answer costs at most the server's
``deadline_ms``, then ``NoSocketException`` (a 503 ``ValidationException``);
a payload JSON cannot carry raises ``ZapataEncodeError`` before anything is
sent. Importing this module loads neither pyzmq nor a socket.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from envoxy.constants import Performative
from envoxy.exceptions import ConfigError, ValidationException
from envoxy.utils.singleton import Singleton
from envoxy.views.containers import status_number
from envoxy.zeromq.codec import encode_request, generate_headers
from envoxy.zeromq.errors import NoSocketException, ZMQException

__all__ = ["ZMQ", "Dispatcher", "NoSocketException", "ZMQException"]


class ZMQ(Singleton):
    """The process's Zapata clients, one per ``zmq_servers`` key."""

    def __init__(self, servers: Mapping[str, Any] | None = None) -> None:
        from envoxy.utils.config import Config
        from envoxy.zeromq.client import ServerClient
        from envoxy.zeromq.settings import parse_server, parse_workers

        conf = Config.get("zmq_servers") if servers is None else servers
        if not conf or not isinstance(conf, Mapping):
            raise ConfigError("Error to find ZMQ Servers config")
        self.workers = parse_workers(Config.get("zmq_workers"))
        self.clients = {
            key: ServerClient(parse_server(key, value, self.workers))
            for key, value in conf.items()
        }
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def client(self, server_key: str) -> Any:
        found = self.clients.get(server_key)
        if found is None:
            raise ConfigError(
                f"No configuration found for zmq server key: {server_key!r}"
            )
        return found

    def executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self.workers.executor_threads,
                    thread_name_prefix="zmqc-worker",
                )
            return self._executor

    def send(
        self,
        server_key: str,
        performative: int,
        url: str,
        params: Any = None,
        payload: Any = None,
        headers: Any = None,
    ) -> dict[str, Any]:
        client = self.client(server_key)
        body = encode_request(url, performative, params, payload, headers)
        route = _cached_route(client.settings, performative, url, headers)
        if route is None:
            return client.request(body, performative)  # type: ignore[no-any-return]
        from envoxy.cache.config import default_store

        store = default_store()
        key = store.key(url, int(performative), params)
        cached = store.get_value(key)
        if cached:
            return cached  # type: ignore[no-any-return]
        reply: dict[str, Any] = client.request(body, performative)
        if 200 <= status_number(reply.get("status"), 0) < 300:
            store.set_value(key, reply, float(route.get("ttl", 3600)))
        else:
            store.set_value(key, reply, float(route.get("error_ttl", 60)))
        return reply

    def close(self) -> None:
        """Stop the executor and close every socket (for shutdown and tests)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
        for client in self.clients.values():
            client.close()


def _cached_route(
    settings: Any, performative: int, url: str, headers: Any
) -> Mapping[str, Any] | None:
    """Upstream's routed cache: ``cached_routes`` of the server, keyed
    ``"<performative>:<first 3 path segments>"``, on only when envoxy.json has
    a ``cache`` section; an ``X-No-Cache`` header (other than ``False``)
    skips it."""
    if not settings.cached_routes:
        return None
    from envoxy.utils.config import Config

    if not Config.get("cache"):
        return None
    if headers:
        no_cache = dict(headers).get("X-No-Cache")
        if no_cache is not None and no_cache != "False":
            return None
    route = settings.cached_routes.get(
        f"{int(performative)}:{'/'.join(url.split('/')[:4])}"
    )
    return route if isinstance(route, Mapping) else None


def _request(
    performative: Performative,
    server_key: str,
    url: str,
    params: Any,
    payload: Any,
    headers: Any,
    future: bool,
) -> Any:
    zmq = ZMQ.instance()
    if future:
        return zmq.executor().submit(
            zmq.send, server_key, performative, url, params, payload, headers
        )
    return zmq.send(server_key, performative, url, params, payload, headers)


def _verb(performative: Performative) -> Any:
    """``zmqc.<verb>(server_key, url, params=None, payload=None, headers=None,
    future=False)`` for one performative (upstream's signature)."""

    def call(
        server_key: str,
        url: str,
        params: Any = None,
        payload: Any = None,
        headers: Any = None,
        future: bool = False,
    ) -> Any:
        return _request(performative, server_key, url, params, payload, headers, future)

    call.__name__ = call.__qualname__ = performative.name.lower()
    call.__doc__ = (
        f"Send a {performative.name} Zapata request; the reply dict (a Future "
        "with future=True)."
    )
    return staticmethod(call)


def _check_bulk_item(index: int, item: Any, where: str | None = None) -> None:
    where = where or f"bulk_requests[{index}]"
    if not isinstance(item, Mapping):
        raise ValidationException(f"{where} must be an object", code=0, status=400)
    if not isinstance(item.get("server_key"), str):
        raise ValidationException(
            f"{where}.server_key is mandatory", code=0, status=400
        )
    performative = item.get("performative")
    if not isinstance(performative, int) or not 0 <= int(performative) <= 11:
        raise ValidationException(
            f"{where}.performative must be a Performative", code=0, status=400
        )
    if not isinstance(item.get("url"), str):
        raise ValidationException(f"{where}.url must be a string", code=0, status=400)


class Dispatcher:
    """The ``zmqc`` API (all static, as upstream)."""

    @staticmethod
    def initialize(servers: Mapping[str, Any] | None = None) -> ZMQ:
        """Build the clients now (a bad ``zmq_servers`` fails here, loudly)."""
        return ZMQ.instance(servers)  # type: ignore[no-any-return]

    @staticmethod
    def instance() -> ZMQ:
        return ZMQ.instance()  # type: ignore[no-any-return]

    generate_headers = staticmethod(generate_headers)

    get = _verb(Performative.GET)
    post = _verb(Performative.POST)
    put = _verb(Performative.PUT)
    patch = _verb(Performative.PATCH)
    delete = _verb(Performative.DELETE)
    head = _verb(Performative.HEAD)

    @staticmethod
    def send(server_key: str, message: Mapping[str, Any]) -> Any:
        """The design documents' ``zmqc.send("server_key", payload)``: one
        request written as a Zapata message (``resource``, ``performative``,
        and optional ``params``, ``payload``, ``headers``), checked like a
        ``bulk_requests`` item; its reply."""
        if not isinstance(message, Mapping):
            raise ValidationException(
                "zmqc.send: the message must be an object", code=0, status=400
            )
        item = {**message, "server_key": server_key}
        if "url" not in item and "resource" in item:
            item["url"] = item["resource"]
        _check_bulk_item(0, item, "zmqc.send message")
        return _request(
            Performative(int(item["performative"])),
            server_key,
            item["url"],
            item.get("params"),
            item.get("payload"),
            item.get("headers"),
            False,
        )

    @staticmethod
    def bulk_requests(request_list: list[Mapping[str, Any]]) -> list[Any]:
        """Run the requests concurrently; replies in input order. Every item
        is checked (``ValidationException``) before anything is sent."""
        for index, item in enumerate(request_list):
            _check_bulk_item(index, item)
        if not request_list:
            return []
        zmq = ZMQ.instance()
        futures: list[Future[Any]] = [
            zmq.executor().submit(
                zmq.send,
                item["server_key"],
                int(item["performative"]),
                item["url"],
                item.get("params"),
                item.get("payload"),
                item.get("headers"),
            )
            for item in request_list
        ]
        return [future.result() for future in futures]

    @staticmethod
    def validate_response(response: Any) -> Any:
        """Upstream's check: ``None`` -> 503; a status other than 200/201 ->
        ``ValidationException`` with the payload's ``text``/``code``."""
        if response is None:
            raise ValidationException("Service Unavailable", code=0, status=503)
        status = response.get("status", 0)
        payload = response.get("payload") or {}
        if status not in (200, 201) and (
            "elements" not in payload or "_id" not in payload
        ):
            raise ValidationException(
                payload.get(
                    "text",
                    f"Resource error, code: {status}, {response.get('resource')}",
                ),
                code=payload.get("code", 0),
                status=str(status),
            )
        return response

    @staticmethod
    def shutdown() -> None:
        """Close every socket and the executor (the next call starts afresh)."""
        existing = ZMQ._instance
        ZMQ.reset_instance()
        if existing is not None:
            existing.close()
