"""``Config``: envoxy.json, parsed once, with environment and CLI overrides.

Precedence, highest first: CLI flags (``Config.configure(cli=["log.level=7"])``,
envoxyd's ``--set``), ``ENVOXY_*`` environment variables, the JSON file, defaults.
An environment variable names a dotted key with ``__`` between levels:
``ENVOXY_LOG__LEVEL=7`` sets ``log.level``; its value is read as JSON when it
parses (``7``, ``true``, ``["a"]``) and as a string otherwise. Only variables
whose first level is a known key or a key of the file are overrides, so
switches such as ``ENVOXY_NO_EXTENSIONS`` are never mistaken for config.

The file path comes from ``Config.set_file_path``, else ``ENVOXY_CONF``, else
uWSGI's ``--set conf=...``. Reading happens on first use, never at import.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from envoxy.exceptions import ConfigError
from envoxy.utils.config_aliases import apply_aliases
from envoxy.utils.config_schema import DEFAULTS, KNOWN_KEYS, validate
from envoxy.utils.uwsgi import option as uwsgi_option
from envoxy.utils.uwsgi import raw_option

__all__ = ["Config", "ConfigError", "parse_cli_flags"]

ENV_PREFIX = "ENVOXY_"
#: ``ENVOXY_*`` variables that are switches of their own, never config keys.
RESERVED_ENV = frozenset(
    {
        "ENVOXY_CONF",
        "ENVOXY_NO_EXTENSIONS",
        "ENVOXY_REQUIRE_EXTENSIONS",
        "ENVOXY_SERVICE_NAMESPACE",
        "ENVOXY_ALEMBIC_DIR",
        "ENVOXY_ALEMBIC_DEBUG",
        "ENVOXY_RC_PATH",
        "ENVOXY_MANAGED_PREFIX",
        "ENVOXY_VERSION_TABLE",
    }
)


def parse_cli_flags(flags: Iterable[str]) -> dict[str, Any]:
    """``["log.level=7", "modules=[\"a.py\"]"]`` -> ``{"log.level": 7, ...}``."""
    parsed: dict[str, Any] = {}
    for flag in flags:
        key, sep, raw = flag.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"config flag {flag!r}: expected KEY=VALUE")
        parsed[key] = _scalar(raw)
    return parsed


def _scalar(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _set_path(target: dict[str, Any], dotted: str, value: Any, source: str) -> None:
    parts = [part for part in dotted.split(".") if part]
    if not parts:
        raise ConfigError(f"{source}: empty config key")
    node = target
    for depth, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        elif not isinstance(child, dict):
            where = ".".join(parts[: depth + 1])
            raise ConfigError(
                f"{source}: key {where!r} is not an object, cannot set {dotted!r}"
            )
        node = child
    node[parts[-1]] = value


def _merge(base: dict[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in overlay.items():
        current = base.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            _merge(current, value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def _read_file(path: str) -> dict[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"config file {path} is not valid JSON: {exc.msg} "
            f"(line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: the top level must be a JSON object")
    return data


def _published_config() -> dict[str, Any]:
    """``uwsgi.opt["conf_content"]``, upstream's production config source,
    when no file is named: the parsed config envoxyd put there (or its JSON)."""
    content = raw_option("conf_content")
    if isinstance(content, bytes):
        content = content.decode("utf-8")
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"conf_content is not valid JSON: {exc.msg}") from None
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise ConfigError("conf_content: the top level must be a JSON object")
    return copy.deepcopy(content)


def _env_overrides(
    environ: Mapping[str, str], file_keys: Iterable[str]
) -> dict[str, Any]:
    roots = set(KNOWN_KEYS) | set(file_keys)
    overrides: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name in RESERVED_ENV:
            continue
        dotted = name[len(ENV_PREFIX) :].lower().replace("__", ".")
        if dotted.split(".", 1)[0] in roots:
            overrides[dotted] = (_scalar(raw), name)
    return overrides


def _after_fork_in_child() -> None:
    # a thread of the parent may have held the lock mid-parse at the fork
    Config._lock = threading.Lock()


class Config:
    """Upstream's static API (``Config.get(node)``...) over a once-parsed config."""

    file_path: ClassVar[str | None] = None
    _cli: ClassVar[dict[str, Any]] = {}
    _environ: ClassVar[Mapping[str, str] | None] = None
    _data: ClassVar[dict[str, Any] | None] = None
    #: defaults of the process's own (envoxyd: INFO to standard output)
    _defaults: ClassVar[dict[str, Any]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def set_file_path(cls, file_path: str | os.PathLike[str] | None) -> None:
        """Use this envoxy.json (read on next access)."""
        with cls._lock:
            cls.file_path = os.fspath(file_path) if file_path is not None else None
            cls._data = None

    @classmethod
    def configure(
        cls,
        file_path: str | os.PathLike[str] | None = None,
        cli: Iterable[str] | Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        defaults: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Load now and return the config; ``ConfigError`` on a bad file or value.
        ``defaults``: this process's defaults, under the file and overrides."""
        with cls._lock:
            if defaults is not None:
                cls._defaults = copy.deepcopy(dict(defaults))
            if file_path is not None:
                cls.file_path = os.fspath(file_path)
            if cli is not None:
                cls._cli = (
                    dict(cli) if isinstance(cli, Mapping) else parse_cli_flags(cli)
                )
            cls._environ = environ
            cls._data = None
        return cls.load()

    @classmethod
    def load(cls) -> dict[str, Any]:
        """The merged, validated config (parsed on first call, then cached)."""
        data = cls._data
        if data is not None:
            return data
        with cls._lock:
            if cls._data is None:
                cls._data = cls._build()
                _apply_logging(cls._data)
            return cls._data

    @classmethod
    def _build(cls) -> dict[str, Any]:
        environ = os.environ if cls._environ is None else cls._environ
        path = cls.file_path or environ.get("ENVOXY_CONF") or uwsgi_option("conf")
        from_file = _read_file(path) if path else _published_config()
        merged = _merge(_merge(copy.deepcopy(DEFAULTS), cls._defaults), from_file)
        overrides = _env_overrides(environ, from_file)
        for dotted, (value, name) in sorted(overrides.items()):
            _set_path(merged, dotted, value, f"environment variable {name}")
        for dotted, value in cls._cli.items():
            _set_path(merged, dotted, value, f"config flag {dotted}")
        explicit_level = (
            "level" in (from_file.get("log") or {})
            or "log.level" in overrides
            or "log.level" in cls._cli
        )
        apply_aliases(merged, explicit_level, source=path or "config")
        validate(merged, source=path or "config")
        return merged

    @classmethod
    def reset(cls) -> None:
        """Forget the file, overrides and cached config (tests, reloads)."""
        with cls._lock:
            cls.file_path = None
            cls._cli = {}
            cls._environ = None
            cls._defaults = {}
            cls._data = None

    @classmethod
    def get(cls, node: str, default: Any = None) -> Any:
        """Top-level key ``node``; ``{}`` when absent (upstream's answer)."""
        data = cls.load()
        if node in data:
            return data[node]
        return {} if default is None else default

    @classmethod
    def get_credentials(cls) -> Any:
        """What the credential exchange issued in this process (envoxyd runs
        it at boot), else the ``credentials`` section as written."""
        # PERF(import): the exchange module loads urllib3 (~15 ms); only this
        # call needs it
        from envoxy.auth.credentials import issued

        found = issued()
        return found if found is not None else cls.get("credentials")

    @classmethod
    def plugins(cls) -> dict[str, Any]:
        """The ``plugins`` section, ``{}`` when absent or null."""
        return cls.get("plugins") or {}


def boot_entry(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """``boot[0]`` of a config (upstream's place for the service's ``name``,
    ``keep_alive`` and ``http.bind``); ``{}`` when there is none."""
    boot = data.get("boot")
    if isinstance(boot, list) and boot and isinstance(boot[0], Mapping):
        return boot[0]
    return {}


def _apply_logging(data: Mapping[str, Any]) -> None:
    from envoxy.utils import logs

    log_conf = data.get("log") or {}
    exec_name = boot_entry(data).get("name")
    output = log_conf.get("output")
    stream = None
    if output == "stdout":
        stream = logs.stdout_stream()
    elif output == "stderr":
        stream = sys.stderr
    logs.configure(
        level=log_conf.get("level"),
        fmt=log_conf.get("format"),
        exec_name=exec_name,
        stream=stream,
    )


os.register_at_fork(after_in_child=_after_fork_in_child)
