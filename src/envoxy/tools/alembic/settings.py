"""What envoxy-alembic needs from the environment, checked with clear messages.

| Variable | Meaning |
|---|---|
| ``ENVOXY_SERVICE_NAMESPACE`` (or ``SERVICE_NAMESPACE``) | the table prefix ``aux_<ns>_`` and the version table ``alembic_version_<ns>``; without it tables keep ``aux_`` and the version table is named from the service (``boot[0].name`` of ``ENVOXY_CONF`` or ./envoxy.json, else the first ``SERVICE_MODELS`` package), with a one-line notice |
| ``SERVICE_DB_URL`` | ``postgresql://...`` or ``sqlite:///path`` (relative paths are taken from the current directory) |
| ``ENVOXY_RC_PATH`` | else an rc file with ``MUZZLEY_PGSQL_*`` variables |
| ``SERVICE_MODELS`` | comma-separated modules that declare the models |
| ``SERVICE_MODELS_PATHS`` | ``:``-separated directories put on ``sys.path`` first |
| ``SERVICE_ALEMBIC_DIR`` (or ``ENVOXY_ALEMBIC_DIR``) | the service's migrations directory (default ``./migrations``) |
"""  # noqa: E501

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from envoxy.db.helpers import with_default_driver
from envoxy.exceptions import ConfigError

__all__ = ["AlembicSetupError", "Settings", "database_url", "load_settings"]

DEFAULT_RC_PATH = "/etc/zapata/rc.d/muzzley.rc"
DEFAULT_SCRIPT_DIR = "migrations"
_SUPPORTED = {"postgresql": "postgresql", "postgres": "postgresql", "sqlite": "sqlite"}


class AlembicSetupError(ConfigError):
    """envoxy-alembic is misconfigured; the message says what to set."""


@dataclass(frozen=True)
class Settings:
    namespace: str
    prefix: str
    version_table: str
    url: URL
    models: tuple[str, ...]
    model_paths: tuple[str, ...]
    script_dir: Path

    @property
    def safe_url(self) -> str:
        return self.url.render_as_string(hide_password=True)


def _namespace(environ: Mapping[str, str]) -> str:
    return (
        environ.get("ENVOXY_SERVICE_NAMESPACE")
        or environ.get("SERVICE_NAMESPACE")
        or ""
    ).strip()


def _service_name(
    environ: Mapping[str, str], base: Path, models: tuple[str, ...]
) -> tuple[str, str]:
    """``(name, where it came from)`` for the version table of a service
    without a namespace: ``boot[0].name`` of its envoxy.json, else the first
    ``SERVICE_MODELS`` package."""
    conf = Path(environ.get("ENVOXY_CONF") or base / "envoxy.json")
    if conf.is_file():
        try:
            boot = json.loads(conf.read_text(encoding="utf-8")).get("boot")
        except (OSError, ValueError, AttributeError):
            boot = None
        if isinstance(boot, list) and boot and isinstance(boot[0], dict):
            name = boot[0].get("name")
            if isinstance(name, str) and name.strip():
                return name.strip(), f"boot[0].name in {conf.name}"
    if models:
        return models[0].split(".")[0], "SERVICE_MODELS"
    raise AlembicSetupError(
        "ENVOXY_SERVICE_NAMESPACE is not set and nothing names the service: set "
        "it (tables aux_<namespace>_..., version table alembic_version_<namespace>), "
        "or boot[0].name in envoxy.json, or SERVICE_MODELS"
    )


def _version_table(namespace: str) -> str:
    cleaned = re.sub(r"[^a-z0-9_]", "_", namespace.lower()).strip("_")
    return ("alembic_version_" + cleaned)[:63]


def _rc_values(path: Path) -> dict[str, str]:
    """``KEY=value`` lines (``export`` allowed); the file is read, never executed."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or "=" not in stripped:
            continue
        if stripped.startswith("export "):
            stripped = stripped[len("export ") :]
        key, _, raw = stripped.partition("=")
        try:
            parts = shlex.split(raw, comments=True)
        except ValueError:
            parts = [raw]
        values[key.strip()] = parts[0] if parts else ""
    return values


def _url_from_rc(environ: Mapping[str, str]) -> URL | None:
    path = Path(environ.get("ENVOXY_RC_PATH", DEFAULT_RC_PATH))
    if not path.is_file():
        return None
    rc = _rc_values(path)
    if not rc.get("MUZZLEY_PGSQL_ADDR") or not rc.get("MUZZLEY_PGSQL_USER"):
        raise AlembicSetupError(
            f"rc file {path} lacks MUZZLEY_PGSQL_ADDR or MUZZLEY_PGSQL_USER; "
            "set SERVICE_DB_URL instead"
        )
    try:
        port = int(rc.get("MUZZLEY_PGSQL_PORT") or 5432)
    except ValueError:
        raise AlembicSetupError(
            f"rc file {path}: MUZZLEY_PGSQL_PORT is not a number"
        ) from None
    return URL.create(
        "postgresql+psycopg2",
        username=rc["MUZZLEY_PGSQL_USER"],
        password=rc.get("MUZZLEY_PGSQL_PASSWD") or None,
        host=rc["MUZZLEY_PGSQL_ADDR"],
        port=port,
        database=rc.get("MUZZLEY_PGSQL_DB") or rc["MUZZLEY_PGSQL_USER"],
    )


def database_url(environ: Mapping[str, str], cwd: Path | None = None) -> URL:
    """The URL to migrate, from SERVICE_DB_URL or the rc file, normalised."""
    raw = environ.get("SERVICE_DB_URL", "").strip()
    if raw:
        try:
            url = make_url(raw)
        except ArgumentError:
            raise AlembicSetupError(
                "SERVICE_DB_URL is not a database URL: expected "
                "postgresql://user:pass@host/db or sqlite:///path/to/file.db"
            ) from None
    else:
        from_rc = _url_from_rc(environ)
        if from_rc is None:
            raise AlembicSetupError(
                "no database URL: set SERVICE_DB_URL (postgresql://... or "
                "sqlite:///...) or provide an rc file with MUZZLEY_PGSQL_* at "
                f"ENVOXY_RC_PATH (default {DEFAULT_RC_PATH})"
            )
        url = from_rc
    backend = _SUPPORTED.get(url.get_backend_name())
    if backend is None:
        raise AlembicSetupError(
            f"unsupported database {url.get_backend_name()!r} in "
            f"{url.render_as_string(hide_password=True)}: use postgresql:// or sqlite:///"
        )
    if backend == "postgresql":
        return with_default_driver(url)
    if not url.database or url.database == ":memory:":
        raise AlembicSetupError(
            "an in-memory SQLite database cannot be migrated: give a file path"
        )
    path = Path(url.database)
    if not path.is_absolute():
        path = (cwd or Path.cwd()) / path
    return url.set(database=str(path.resolve()))


_SAID: set[str] = set()


def load_settings(
    environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Settings:
    """Read and check every setting; ``AlembicSetupError`` names what is missing."""
    env = os.environ if environ is None else environ
    base = cwd or Path.cwd()
    namespace = _namespace(env)
    # Imported here: the ORM reads the namespace when its constants load.
    from envoxy.db.orm.constants import namespace_prefix

    models = tuple(
        m.strip() for m in env.get("SERVICE_MODELS", "").split(",") if m.strip()
    )
    if namespace:
        version_table = _version_table(namespace)
    else:
        service, source = _service_name(env, base, models)
        version_table = _version_table(service)
        notice = (
            f"envoxy-alembic: no ENVOXY_SERVICE_NAMESPACE: tables keep aux_, "
            f"version table {version_table} (from {source})\n"
        )
        if notice not in _SAID:  # the CLI and env.py both load the settings
            _SAID.add(notice)
            sys.stderr.write(notice)
    paths = tuple(p for p in env.get("SERVICE_MODELS_PATHS", "").split(":") if p)
    script = (
        env.get("SERVICE_ALEMBIC_DIR")
        or env.get("ENVOXY_ALEMBIC_DIR")
        or DEFAULT_SCRIPT_DIR
    )
    script_dir = Path(script)
    if not script_dir.is_absolute():
        script_dir = base / script_dir
    return Settings(
        namespace=namespace,
        prefix=namespace_prefix(namespace),
        version_table=version_table,
        url=database_url(env, base),
        models=models,
        model_paths=paths,
        script_dir=script_dir.resolve(),
    )
