"""Every connector, one lifecycle: parsed at boot, prepared before the fork,
started after it, checked for readiness, closed at shutdown, reset in a
forked child.

A connector owns one section of envoxy.json (the ``*_servers`` sections,
``zmq_server`` for the Zapata server, ``cache``) and lives in its subsystem
(``envoxy.<subsystem>.connector``, which imports its client). It implements:

- ``parse(key, conf, config)``: check one entry, limits and timeouts
  included; ``ConfigError`` naming the key (envoxyd's preflight calls this
  before any worker exists, so a bad entry is exit 2, not a thread's error);
- ``boot(config, views)``: where the service is loaded, before the fork;
- ``start(config, views, events)``: in each worker after the fork (``events``:
  this worker runs the MQTT and ZeroMQ views);
- ``check(key, timeout)``: readiness of one entry, ``{"ok": bool, ...}``;
- ``close(deadline)``: at shutdown, done by ``deadline`` (``time.monotonic``);
  builds nothing (a client never used has nothing to close);
- ``after_fork()``: in a forked child, forget the parent's connections.

``REGISTRY`` maps a section to its connector module and its client module:
``close_all`` and the after-fork reset reach every connector whose client
this process imported, configured through envoxyd or not. Connectors start
in ``REGISTRY`` order and close in reverse (the Zapata server and the MQTT
consumers stop before the stores their handlers write to).
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from collections.abc import Iterator, Mapping
from typing import Any

from envoxy.exceptions import ConfigError, DatabaseException
from envoxy.utils.logs import Log

__all__ = [
    "REGISTRY",
    "SECTIONS",
    "Connector",
    "boot_all",
    "check_entries",
    "close_all",
    "configured",
    "connector",
    "entries",
    "parse_all",
    "run_check",
    "start_all",
]


class Connector:
    """The lifecycle every connector has; a subsystem overrides what it needs
    (the defaults do nothing)."""

    #: the envoxy.json section it owns
    name = ""
    #: one object (``zmq_server``, ``cache``), not a mapping of keyed entries
    single = False
    #: checked by the events worker (its connections live there)
    events_only = False
    #: whether readiness checks its entries at all
    checked = True

    def parse(
        self, key: str, conf: Mapping[str, Any], config: Mapping[str, Any]
    ) -> None:
        """Check one entry (``ConfigError`` naming the key)."""

    def boot(self, config: Mapping[str, Any], views: list[Any]) -> None:
        """Before the fork: imports and what the workers share (a worker's own
        start must take milliseconds)."""

    def start(self, config: Mapping[str, Any], views: list[Any], events: bool) -> None:
        """Start in this worker (after the fork)."""

    def check(self, key: str, timeout: float) -> dict[str, Any]:
        """Readiness of one entry."""
        return {"ok": True}

    def close(self, deadline: float) -> None:
        """Close what this process opened, by ``deadline``; build nothing."""

    def after_fork(self) -> None:
        """In a forked child: forget the parent's connections."""


#: section -> (its connector's module, the client module whose import means
#: this process may hold its connections), in start order
REGISTRY: dict[str, tuple[str, str]] = {
    "psql_servers": ("envoxy.postgresql.connector", "envoxy.postgresql.engines"),
    "redis_servers": ("envoxy.redis.connector", "envoxy.redis.client"),
    "couchdb_servers": ("envoxy.couchdb.connector", "envoxy.couchdb.client"),
    "clickhouse_servers": ("envoxy.clickhouse.connector", "envoxy.clickhouse.client"),
    "cache": ("envoxy.cache.connector", "envoxy.cache.config"),
    "amqp_servers": ("envoxy.celery.connector", "envoxy.celery.client"),
    "zmq_servers": ("envoxy.zeromq.connector", "envoxy.zeromq.client"),
    "mqtt_servers": ("envoxy.mqtt.connector", "envoxy.mqtt.client"),
    "zmq_server": ("envoxy.zeromq.server_connector", "envoxy.zeromq.server"),
}
#: the config sections connectors own (envoxy.utils.config_schema knows them)
SECTIONS = tuple(REGISTRY)


def connector(section: str) -> Connector:
    """The connector of ``section`` (its module imported on first use)."""
    found: Connector = importlib.import_module(REGISTRY[section][0]).CONNECTOR
    return found


def _in_use() -> Iterator[Connector]:
    """Connectors whose client this process imported, in start order."""
    for section, (connector_module, client_module) in REGISTRY.items():
        if connector_module in sys.modules or client_module in sys.modules:
            yield connector(section)


def entries(config: Mapping[str, Any], section: str) -> Iterator[tuple[str, Any]]:
    """``(key, conf)`` of each entry of ``section``: one ``("", section)`` for
    a single-object section, else each keyed entry (not aliases such as
    ``psql_servers.default = "main"``)."""
    value = config.get(section)
    if not isinstance(value, Mapping):
        return
    if connector(section).single:
        yield "", value
        return
    for key, conf in value.items():
        if isinstance(conf, Mapping):
            yield key, conf


def configured(config: Mapping[str, Any]) -> Iterator[tuple[str, Connector]]:
    """``(section, connector)`` for each section ``config`` has settings in."""
    for section in SECTIONS:
        if config.get(section):
            yield section, connector(section)


def parse_all(config: Mapping[str, Any]) -> None:
    """Parse every entry of every configured section (``ConfigError``)."""
    for section, found in configured(config):
        for key, conf in entries(config, section):
            try:
                found.parse(key, conf, config)
            except DatabaseException as exc:  # a client's own wording, same key
                raise ConfigError(str(exc)) from None


def boot_all(config: Mapping[str, Any], views: list[Any]) -> None:
    """Prepare every configured connector before the fork."""
    for _, found in configured(config):
        found.boot(config, views)


def start_all(config: Mapping[str, Any], views: list[Any], events: bool) -> None:
    """Start every configured connector in this worker."""
    for _, found in configured(config):
        found.start(config, views, events)


def run_check(found: Connector, key: str, timeout: float) -> dict[str, Any]:
    """One readiness check; a connector down is an answer, not a crash."""
    try:
        return dict(found.check(key, timeout))
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}


def check_entries(
    config: Mapping[str, Any], events_only: bool
) -> dict[str, tuple[Connector, str]]:
    """``{"<section>.<key>": (connector, key)}`` to check (``"<section>"``
    for a single-object section): the events-worker connectors
    (``events_only``) or the others."""
    jobs = {}
    for section, found in configured(config):
        if found.events_only != events_only or not found.checked:
            continue
        for key, _ in entries(config, section):
            jobs[f"{section}.{key}" if key else section] = (found, key)
    return jobs


def close_all(deadline: float | None = None) -> None:
    """Close what this process opened, newest connector first, by
    ``deadline`` (default: 10 s from now); one failing close never skips the
    others."""
    if deadline is None:
        deadline = time.monotonic() + 10.0
    for found in reversed(list(_in_use())):
        try:
            found.close(deadline)
        except Exception as exc:
            Log.warning(f"shutdown: {found.name} did not close cleanly: {exc!r}")


def _after_fork_in_child() -> None:
    for found in _in_use():
        found.after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)
