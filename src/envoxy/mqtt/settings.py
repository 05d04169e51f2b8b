"""``mqtt_servers`` entries: parsed with a real URL parser.

``{"bind": "mqtt://user:p%40ss@broker:1883", "client_id": "svc-1",
"protocol": 5, "keepalive": 60, "session_expiry": 3600, "cert_path": "/ca.pem",
"outbox": 100, "reconnect_max_delay": 5}``.
Credentials may hold ``:`` (after the first) or a URL-escaped ``@``; ``mqtts``
(or a ``cert_path``) means TLS.

Sessions: a fixed ``client_id`` is persistent for ``session_expiry`` seconds
(default 3600): the broker keeps subscriptions and QoS 1/2 messages while the
client is away. Without one, MQTT 5 connections still get a persistent
session of their own process (an id made once per process, default expiry
120 s), so a reconnect never loses what the broker queued meanwhile, and a
dead process's session is gone two minutes later. (MQTT 3.1.1 has no
expiry: there a session is persistent only with a fixed ``client_id``.)

``max_message_bytes`` (default 4 MiB): under MQTT 5 the CONNECT's Maximum
Packet Size, so the broker never sends this client anything larger; on both
protocols the read path (envoxy.mqtt.reader) drops a larger PUBLISH by its
head without buffering it (MQTT 3.1.1 cannot tell the broker a maximum).

``outbox``: QoS 1/2 messages accepted while the broker is away (default 100),
sent on reconnect; past it ``publish`` returns ``False``. Kept small on
purpose: a large backlog replayed at once overflows what a broker queues for
each subscriber (Mosquitto's ``max_queued_messages``, 1000 by default), which
drops messages silently even though it acknowledged them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from envoxy.exceptions import ConfigError

__all__ = ["BrokerSettings", "parse_server"]

_SCHEMES = {"mqtt": 1883, "tcp": 1883, "mqtts": 8883, "ssl": 8883, "tls": 8883}


@dataclass(frozen=True)
class BrokerSettings:
    key: str
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool
    cert_path: str | None
    client_id: str
    protocol: int
    keepalive: int
    session_expiry: int
    connect_timeout: float
    outbox: int = 100
    reconnect_max_delay: float = 5.0
    max_message_bytes: int = 4 * 1024 * 1024

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def persistent(self) -> bool:
        return bool(self.client_id)


def parse_server(
    key: str, conf: Mapping[str, Any], credentials: Mapping[str, Any] | None = None
) -> BrokerSettings:
    bind = conf.get("bind")
    if not bind or not isinstance(bind, str):
        raise ConfigError(
            f"mqtt_servers.{key}: bind must be provided (mqtt://host:port)"
        )
    parts = urlsplit(bind if "://" in bind else f"mqtt://{bind}")
    if parts.scheme not in _SCHEMES or not parts.hostname:
        raise ConfigError(
            f"mqtt_servers.{key}.bind: expected mqtt://host:port or mqtts://host:port"
        )
    try:
        port = parts.port or _SCHEMES[parts.scheme]
        protocol = int(conf.get("protocol", 5))
        keepalive = int(conf.get("keepalive", 60))
        fixed_id = bool(conf.get("client_id"))
        session_expiry = int(conf.get("session_expiry", 3600 if fixed_id else 120))
        connect_timeout = float(conf.get("connect_timeout", 10))
        outbox = int(conf.get("outbox", 100))
        reconnect_max_delay = float(conf.get("reconnect_max_delay", 5))
        max_message_bytes = int(conf.get("max_message_bytes", 4 * 1024 * 1024))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"mqtt_servers.{key}: {exc}") from None
    if outbox < 0 or reconnect_max_delay < 1 or session_expiry < 0:
        raise ConfigError(
            f"mqtt_servers.{key}: outbox must be >= 0, reconnect_max_delay >= 1"
            " and session_expiry >= 0"
        )
    if not 128 <= max_message_bytes <= 268_435_455:  # MQTT's own maximum
        raise ConfigError(
            f"mqtt_servers.{key}.max_message_bytes: expected 128 to 268435455"
        )
    if protocol not in (4, 5, 311):
        raise ConfigError(
            f"mqtt_servers.{key}.protocol: expected 5 or 311 (3.1.1), got {protocol}"
        )
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if (
        username is None
        and credentials
        and credentials.get("client_id")
        and credentials.get("access_token")
    ):
        username, password = (
            str(credentials["client_id"]),
            str(credentials["access_token"]),
        )
    cert_path = conf.get("cert_path") or None
    return BrokerSettings(
        key=key,
        host=parts.hostname,
        port=port,
        username=username,
        password=password,
        tls=parts.scheme in ("mqtts", "ssl", "tls") or bool(cert_path),
        cert_path=cert_path,
        client_id=str(conf.get("client_id") or ""),
        protocol=5 if protocol == 5 else 4,
        keepalive=keepalive,
        session_expiry=session_expiry,
        connect_timeout=connect_timeout,
        outbox=outbox,
        reconnect_max_delay=reconnect_max_delay,
        max_message_bytes=max_message_bytes,
    )


#: ``mqtt_workers`` defaults: handler threads, and messages waiting for one
DEFAULT_MAX_WORKERS = 8
DEFAULT_QUEUE = 256


def parse_workers(conf: Any) -> tuple[int, int]:
    """``(max_workers, queue)`` of ``mqtt_workers``; ``ConfigError`` naming
    the key for anything but a positive integer."""
    conf = conf or {}
    if not isinstance(conf, Mapping):
        raise ConfigError("mqtt_workers: expected an object")
    values = []
    for name, default in (
        ("max_workers", DEFAULT_MAX_WORKERS),
        ("queue", DEFAULT_QUEUE),
    ):
        raw = conf.get(name, default)
        try:
            value = int(raw)
        except (TypeError, ValueError):
            value = 0
        if isinstance(raw, bool) or value < 1:
            raise ConfigError(
                f"mqtt_workers.{name}: expected a positive integer, got {raw!r}"
            )
        values.append(value)
    return values[0], values[1]
