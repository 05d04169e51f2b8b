"""``zmq_servers`` and ``zmq_workers``: what zmqc connects to and its limits.

``{"zmq_servers": {"platform": {"host": "127.0.0.1", "port": 51997,
"timeout_ms": 5000, "retries": 2, "backoff_ms": 100, "deadline_ms": 15000,
"max_message_bytes": 67108864}},
"zmq_workers": {"context_max_workers": 50, "thread_poll_executor_max_workers": 50}}``

``host``/``port`` are upstream's keys (``bind: "tcp://host:port"`` works too);
the timing keys are ours and optional. Every failure is bounded: one attempt
waits at most ``timeout_ms``; idempotent performatives are retried up to
``retries`` more times with doubling backoff from ``backoff_ms``; nothing goes
on past ``deadline_ms`` after the call began. A reply frame over
``max_message_bytes`` (default 64 MiB) is refused by libzmq (the connection
is dropped and the call fails as a timeout would).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from envoxy.exceptions import ConfigError
from envoxy.utils.retry import RetryPolicy

__all__ = ["ServerSettings", "WorkerSettings", "parse_server", "parse_workers"]

DEFAULT_TIMEOUT_MS = 5000
DEFAULT_RETRIES = 2
DEFAULT_BACKOFF_MS = 100
DEFAULT_DEADLINE_MS = 15000
MAX_BACKOFF_MS = 2000
DEFAULT_POOL = 50
#: the Zapata server's bound on one inbound frame (zmq_server.max_message_bytes):
#: envelopes are JSON documents, not file transfers
SERVER_MAX_MESSAGE_BYTES = 4 * 1024 * 1024
#: frames waiting per peer (zmq_server.queue_per_peer: ZMQ_RCVHWM/SNDHWM)
SERVER_QUEUE_PER_PEER = 64
#: zmqc's bound on one reply frame (zmq_servers.<key>.max_message_bytes): larger,
#: data-layer listings can be big, but never unbounded
CLIENT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class ServerSettings:
    key: str
    host: str
    port: int
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    retries: int = DEFAULT_RETRIES
    backoff_ms: int = DEFAULT_BACKOFF_MS
    deadline_ms: int = DEFAULT_DEADLINE_MS
    pool_size: int = DEFAULT_POOL
    max_message_bytes: int = CLIENT_MAX_MESSAGE_BYTES
    cached_routes: Mapping[str, Any] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"tcp://{self.host}:{self.port}"


@dataclass(frozen=True)
class WorkerSettings:
    sockets_per_server: int = DEFAULT_POOL
    executor_threads: int = DEFAULT_POOL


def _positive_int(key: str, name: str, value: Any, minimum: int = 1) -> int:
    try:
        number = int(value)  # upstream configs carry numbers as strings too
    except (TypeError, ValueError):
        raise ConfigError(f"{key}.{name}: expected an integer, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{key}.{name}: must be at least {minimum}, got {number}")
    return number


def parse_workers(conf: Mapping[str, Any] | None) -> WorkerSettings:
    conf = conf or {}
    if not isinstance(conf, Mapping):
        raise ConfigError("zmq_workers: expected an object")
    return WorkerSettings(
        sockets_per_server=_positive_int(
            "zmq_workers",
            "context_max_workers",
            conf.get("context_max_workers", DEFAULT_POOL),
        ),
        executor_threads=_positive_int(
            "zmq_workers",
            "thread_poll_executor_max_workers",
            conf.get("thread_poll_executor_max_workers", DEFAULT_POOL),
        ),
    )


def parse_server(
    key: str, conf: Mapping[str, Any], workers: WorkerSettings | None = None
) -> ServerSettings:
    """One ``zmq_servers`` entry; ``ConfigError`` naming the key when wrong."""
    where = f"zmq_servers.{key}"
    if not isinstance(conf, Mapping):
        raise ConfigError(f"{where}: expected an object with host and port")
    host, port = conf.get("host"), conf.get("port")
    bind = conf.get("bind")
    if bind and (host is None or port is None):
        parts = urlsplit(str(bind))
        if parts.scheme != "tcp" or not parts.hostname or parts.port is None:
            raise ConfigError(f"{where}.bind: expected tcp://host:port, got {bind!r}")
        host, port = parts.hostname, parts.port
    if not host or port is None:
        raise ConfigError(f"{where}: host and port must be provided")
    cached = conf.get("cached_routes") or {}
    if not isinstance(cached, Mapping):
        raise ConfigError(f"{where}.cached_routes: expected an object")
    workers = workers or WorkerSettings()
    # the keys every connector's retries use (envoxy.utils.retry)
    policy = RetryPolicy.from_conf(
        where, conf, DEFAULT_RETRIES, DEFAULT_BACKOFF_MS, DEFAULT_DEADLINE_MS
    )
    return ServerSettings(
        key=key,
        host=str(host),
        port=_positive_int(where, "port", port),
        timeout_ms=_positive_int(
            where, "timeout_ms", conf.get("timeout_ms", DEFAULT_TIMEOUT_MS)
        ),
        retries=policy.retries,
        backoff_ms=policy.backoff_ms,
        deadline_ms=policy.deadline_ms or DEFAULT_DEADLINE_MS,
        pool_size=_positive_int(
            where, "pool_size", conf.get("pool_size", workers.sockets_per_server)
        ),
        max_message_bytes=_positive_int(
            where,
            "max_message_bytes",
            conf.get("max_message_bytes", CLIENT_MAX_MESSAGE_BYTES),
        ),
        cached_routes=dict(cached),
    )
