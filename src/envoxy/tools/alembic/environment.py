"""The migration environment every envoxy service shares (run by its env.py).

It imports the service's models, points Alembic at this service's version
table, and limits autogenerate to this service's own ``aux_<ns>_`` tables so a
migration can never drop another service's objects.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from alembic import context
from sqlalchemy import MetaData, create_engine, pool

from envoxy.tools.alembic.settings import AlembicSetupError, Settings, load_settings
from envoxy.tools.alembic_hooks import check_autogenerate_revision

__all__ = ["discover_metadata", "include_name", "include_object", "run_migrations"]


def _autogenerate_requested() -> bool:
    options = getattr(context.config, "cmd_opts", None)
    return bool(getattr(options, "autogenerate", False))


def discover_metadata(settings: Settings) -> MetaData:
    """Import ``SERVICE_MODELS`` and return the metadata their models live in."""
    for entry in (*settings.model_paths, str(Path.cwd())):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    found: list[MetaData] = []
    for name in settings.models:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise AlembicSetupError(
                f"SERVICE_MODELS names {name!r}, which cannot be imported: {exc} "
                "(SERVICE_MODELS_PATHS adds directories to search)"
            ) from exc
        metadata = getattr(module, "metadata", None)
        if isinstance(metadata, MetaData) and metadata not in found:
            found.append(metadata)
    from envoxy.db.orm import metadata as envoxy_metadata

    target = found[0] if len(found) == 1 else envoxy_metadata
    owned = [t for t in target.tables if t.startswith(settings.prefix)]
    if _autogenerate_requested() and not owned:
        hint = (
            "SERVICE_MODELS is not set"
            if not settings.models
            else f"{', '.join(settings.models)} declare none"
        )
        raise AlembicSetupError(
            f"autogenerate found no models with the prefix {settings.prefix!r} "
            f"({hint}): set SERVICE_MODELS=your_package.models and "
            "ENVOXY_SERVICE_NAMESPACE to the namespace the models were declared under"
        )
    return target


def include_name(
    name: str | None, type_: str, parent_names: Any, *, settings: Settings
) -> bool:
    if type_ == "table":
        return (
            bool(name)
            and name != settings.version_table
            and str(name).startswith(settings.prefix)
        )
    return True


def include_object(
    obj: Any,
    name: str | None,
    type_: str,
    reflected: bool,
    compare_to: Any,
    *,
    settings: Settings,
) -> bool:
    if type_ == "table":
        return include_name(name, "table", None, settings=settings)
    table = getattr(obj, "table", None)
    table_name = getattr(table, "name", None)
    return table_name is None or str(table_name).startswith(settings.prefix)


def _options(settings: Settings, metadata: MetaData) -> dict[str, Any]:
    return {
        "target_metadata": metadata,
        "version_table": settings.version_table,
        "include_name": lambda *a: include_name(*a, settings=settings),
        "include_object": lambda *a: include_object(*a, settings=settings),
        "process_revision_directives": check_autogenerate_revision,
        "compare_type": True,
        "render_as_batch": settings.url.get_backend_name() == "sqlite",
    }


def run_migrations() -> None:
    """Run the current Alembic command online (or offline with ``--sql``)."""
    settings = load_settings()
    context.config.attributes["envoxy_prefix"] = settings.prefix
    metadata = discover_metadata(settings)
    options = _options(settings, metadata)
    if context.is_offline_mode():
        context.configure(
            url=settings.url.render_as_string(hide_password=False),
            literal_binds=True,
            dialect_opts={"paramstyle": "named"},
            **options,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(settings.url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, **options)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
