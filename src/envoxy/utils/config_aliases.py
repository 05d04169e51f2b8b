"""The spellings envoxyd's documented minimal config uses, read as envoxy's.

- ``logging.level`` (a name: ``DEBUG``, ``INFO``, ``WARNING``, ``ERROR``...,
  or 0-9) is ``log.level``;
- ``postgres.<key>`` (``{"dsn": ...}`` or any ``psql_servers`` entry) is
  ``psql_servers.<key>``;
- ``couchdb.<key>`` with ``url`` is ``couchdb_servers.<key>`` with ``bind``;
- ``mqtt.<key>`` is ``mqtt_servers.<key>``.

The same setting written both ways is a ``ConfigError`` naming both (which one
would win is not obvious), never a silent choice. The alias sections stay in
the config as written, for services that read them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from envoxy.exceptions import ConfigError

__all__ = ["ALIASES", "apply_aliases"]

#: alias section -> (envoxy's section, {alias field: envoxy's field})
ALIASES: dict[str, tuple[str, dict[str, str]]] = {
    "postgres": ("psql_servers", {}),
    "couchdb": ("couchdb_servers", {"url": "bind"}),
    "mqtt": ("mqtt_servers", {}),
    "logging": ("log", {}),
}


def _entries(data: Mapping[str, Any], alias: str, source: str) -> Mapping[str, Any]:
    value = data[alias]
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: key {alias!r}: expected an object, got {value!r}")
    return value


def apply_aliases(
    data: dict[str, Any], explicit_log_level: bool, source: str = "config"
) -> None:
    """Rewrite ``data`` (the merged config) in place as the module says;
    ``explicit_log_level``: ``log.level`` was given (file, environment, flag)
    rather than defaulted."""
    if "logging" in data:
        level = _entries(data, "logging", source).get("level")
        if level is not None:
            if explicit_log_level and data.get("log", {}).get("level") != level:
                raise ConfigError(
                    f"{source}: keys 'log.level' and 'logging.level' are both "
                    "set; use one of them"
                )
            data.setdefault("log", {})["level"] = level
    for alias, (section, renames) in ALIASES.items():
        if alias == "logging" or alias not in data:
            continue
        target = data.get(section)
        if target is None:
            target = data[section] = {}
        if not isinstance(target, dict):
            continue  # envoxy's own check names the bad section
        for key, entry in _entries(data, alias, source).items():
            if key in target:
                raise ConfigError(
                    f"{source}: keys '{section}.{key}' and '{alias}.{key}' are both "
                    "set; use one of them"
                )
            if isinstance(entry, Mapping):
                entry = {renames.get(name, name): v for name, v in entry.items()}
            target[key] = copy.deepcopy(entry)
