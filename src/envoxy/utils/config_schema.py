"""What envoxy itself reads from envoxy.json: defaults and value checks.

Services keep keys of their own in the same file; those pass through untouched.
Values stay as written (ports may be ``"5432"`` as in upstream templates); the
checks only refuse what no subsystem could use, naming the key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from envoxy.connectors import SECTIONS as CONNECTOR_SECTIONS
from envoxy.exceptions import ConfigError
from envoxy.utils.config_aliases import ALIASES
from envoxy.utils.logs import level_number

__all__ = ["DEFAULTS", "KNOWN_KEYS", "validate"]

DEFAULTS: dict[str, Any] = {
    "log": {"level": 4, "format": "auto"},
}

LOG_FORMATS = ("auto", "json", "pretty", "text")
LOG_OUTPUTS = ("stderr", "stdout")

#: every ``*_servers`` section: the connectors' (envoxy.connectors), and the
#: one upstream templates carry that no connector reads
_SERVER_SECTIONS = (
    *(name for name in CONNECTOR_SECTIONS if name.endswith("_servers")),
    "mongodb_servers",
)


class _Invalid(Exception):
    def __init__(self, key: str, problem: str) -> None:
        super().__init__(key, problem)
        self.key = key
        self.problem = problem


def _fail(key: str, problem: str, value: Any) -> None:
    raise _Invalid(key, f"{problem}, got {value!r}")


def _int_like(
    key: str, value: Any, low: int | None = None, high: int | None = None
) -> None:
    if isinstance(value, bool):
        _fail(key, "expected an integer", value)
    try:
        number = int(value)
    except (TypeError, ValueError):
        _fail(key, "expected an integer", value)
        return
    if (low is not None and number < low) or (high is not None and number > high):
        _fail(key, f"expected an integer from {low} to {high}", value)


def _str_list(key: str, value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(i, str) for i in value):
        _fail(key, "expected a list of strings", value)


def _object(key: str, value: Any) -> None:
    if not isinstance(value, dict):
        _fail(key, "expected an object", value)


def _log(key: str, value: Any) -> None:
    _object(key, value)
    if value.get("level") is not None:
        try:
            level_number(value["level"])
        except (TypeError, ValueError):
            _fail(
                f"{key}.level",
                "expected an integer from 0 to 9 or a level name (DEBUG, INFO, "
                "WARNING, ERROR...)",
                value["level"],
            )
    fmt = value.get("format")
    if fmt is not None and fmt not in LOG_FORMATS:
        _fail(f"{key}.format", f"expected one of {', '.join(LOG_FORMATS)}", fmt)
    output = value.get("output")
    if output is not None and output not in LOG_OUTPUTS:
        _fail(f"{key}.output", f"expected one of {', '.join(LOG_OUTPUTS)}", output)


def _servers(key: str, value: Any) -> None:
    _object(key, value)
    for name, server in value.items():
        if key == "psql_servers" and name == "default" and isinstance(server, str):
            continue
        if isinstance(server, str) and "://" in server:
            field = "url" if key == "psql_servers" else "bind"
            _fail(
                f"{key}.{name}",
                f'expected an object; a URL goes in it as {{"{field}": "..."}}',
                server,
            )
        _object(f"{key}.{name}", server)
        if server.get("port") is not None:
            _int_like(f"{key}.{name}.port", server["port"], 1, 65535)
        bind = server.get("bind")
        if bind is not None and not isinstance(bind, str):
            _fail(f"{key}.{name}.bind", "expected a string", bind)


def _boot(key: str, value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
        _fail(key, "expected a list of objects", value)


def _non_negative(key: str, value: Any) -> None:
    _int_like(key, value, 0, None)


def _string(key: str, value: Any) -> None:
    if not isinstance(value, str):
        _fail(key, "expected a string", value)


def _optional_object(key: str, value: Any) -> None:
    if value is not None:
        _object(key, value)


def _health(key: str, value: Any) -> None:
    _object(key, value)
    if value.get("optional") is not None:
        _str_list(f"{key}.optional", value["optional"])


_CHECKS: dict[str, Callable[[str, Any], None]] = {
    "log": _log,
    "boot": _boot,
    "keep_alive": _non_negative,
    "modules": _str_list,
    "packages": _str_list,
    "task_modules": _str_list,
    "plugins": _optional_object,
    "credentials": _optional_object,
    "default_zmq_backend": _object,
    "zmq_workers": _object,
    "zmq_server": _object,
    "http": _object,
    "cache": _object,
    "auth": _object,
    "health": _health,
    "envoxyd": _object,
    "mqtt_workers": _object,
    "default_task_queue": _string,
    **dict.fromkeys(_SERVER_SECTIONS, _servers),
}

#: Top-level keys envoxy reads (and so the roots ``ENVOXY_*`` variables may set,
#: ``ENVOXY_AUTH__JWT__SECRET`` included with no ``auth`` key in the file).
KNOWN_KEYS = (
    frozenset(_CHECKS)
    | frozenset(CONNECTOR_SECTIONS)
    | {"debug", "enable_cors", "$log"}
    | frozenset(ALIASES)
)


def validate(data: Mapping[str, Any], source: str = "config") -> None:
    """Raise ``ConfigError`` naming the first bad key of ``data``."""
    try:
        for key, check in _CHECKS.items():
            if key in data:
                check(key, data[key])
    except _Invalid as bad:
        raise ConfigError(f"{source}: key {bad.key!r}: {bad.problem}") from None
    if data.get("modules") and data.get("packages"):
        raise ConfigError(
            f"{source}: keys 'modules' and 'packages' are both set; use one of them"
        )
