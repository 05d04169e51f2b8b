"""Every connector, one lifecycle: parsed at boot, started after the fork,
checked for readiness, closed at shutdown, reset in a forked child.

A connector owns one ``*_servers`` section of envoxy.json and lives in its
subsystem (``envoxy.<subsystem>.connector``, imported only when its section is
configured or its client was used). It is an object with:

- ``parse(key, conf, config)``: check one entry, limits and timeouts
  included; ``ConfigError`` naming the key (envoxyd's preflight calls this
  before any worker exists, so a bad entry is exit 2, not a thread's error);
- ``start(config, views, events)``: in each worker after the fork (``events``:
  this worker runs the MQTT and ZeroMQ views);
- ``check(key, timeout)``: readiness of one entry, ``{"ok": bool, ...}``
  (``None``: this connector has nothing to check);
- ``close()``: at shutdown; builds nothing (a client never used has nothing
  to close);
- ``after_fork()``: in a forked child, forget the parent's connections.

``events_only`` connectors are checked by the events worker, which publishes
their status for the others (envoxyd.lifecycle).
"""

from __future__ import annotations

import importlib
import os
import sys
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
    #: checked by the events worker (its connections live there)
    events_only = False
    #: whether readiness checks its entries at all
    checked = True

    def parse(
        self, key: str, conf: Mapping[str, Any], config: Mapping[str, Any]
    ) -> None:
        """Check one entry (``ConfigError`` naming the key)."""

    def boot(self, config: Mapping[str, Any]) -> None:
        """Where the service is loaded, before the fork: imports and what the
        workers share (a worker's own start must take milliseconds)."""

    def start(self, config: Mapping[str, Any], views: list[Any], events: bool) -> None:
        """Start in this worker (after the fork)."""

    def check(self, key: str, timeout: float) -> dict[str, Any]:
        """Readiness of one entry."""
        return {"ok": True}

    def close(self) -> None:
        """Close what this process opened; build nothing."""

    def after_fork(self) -> None:
        """In a forked child: forget the parent's connections."""


#: section -> the module whose ``CONNECTOR`` serves it, in start order (close
#: runs in reverse: consumers stop before the stores they write to)
REGISTRY: dict[str, str] = {
    "psql_servers": "envoxy.postgresql.connector",
    "redis_servers": "envoxy.redis.connector",
    "couchdb_servers": "envoxy.couchdb.connector",
    "amqp_servers": "envoxy.celery.connector",
    "zmq_servers": "envoxy.zeromq.connector",
    "mqtt_servers": "envoxy.mqtt.connector",
}
#: the config sections connectors own (envoxy.utils.config_schema knows them)
SECTIONS = tuple(REGISTRY)


def connector(section: str) -> Connector:
    """The connector of ``section`` (imported on first use)."""
    found: Connector = importlib.import_module(REGISTRY[section]).CONNECTOR
    return found


def _loaded() -> Iterator[Connector]:
    """Connectors whose module is already imported (nothing is built here)."""
    for module_name in REGISTRY.values():
        module = sys.modules.get(module_name)
        if module is not None:
            yield module.CONNECTOR


def entries(config: Mapping[str, Any], section: str) -> Iterator[tuple[str, Any]]:
    """``(key, conf)`` of each server entry of ``section`` (not aliases such as
    ``psql_servers.default = "main"``)."""
    servers = config.get(section)
    if not isinstance(servers, Mapping):
        return
    for key, conf in servers.items():
        if isinstance(conf, Mapping):
            yield key, conf


def configured(config: Mapping[str, Any]) -> Iterator[tuple[str, Connector]]:
    """``(section, connector)`` for each section ``config`` has entries in."""
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


def boot_all(config: Mapping[str, Any]) -> None:
    """Prepare every configured connector before the fork."""
    for _, found in configured(config):
        found.boot(config)


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
    """``{"<section>.<key>": (connector, key)}`` to check: the events-worker
    connectors (``events_only``) or the others."""
    jobs = {}
    for section, found in configured(config):
        if found.events_only != events_only:
            continue
        if found.checked:
            for key, _ in entries(config, section):
                jobs[f"{section}.{key}"] = (found, key)
    return jobs


def close_all() -> None:
    """Close what this process opened, newest connector first; one failing
    close never skips the others."""
    for found in reversed(list(_loaded())):
        try:
            found.close()
        except Exception as exc:
            Log.warning(f"shutdown: {found.name} did not close cleanly: {exc!r}")


def _after_fork_in_child() -> None:
    for found in _loaded():
        found.after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)
