"""ORM conventions for envoxy services: ``EnvoxyBase`` and friends.

Names load on first use, so importing ``envoxy.db.orm`` (or its compiled name
hasher) does not import SQLAlchemy until a model or session helper is needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "EnvoxyBase",
    "EnvoxyMeta",
    "EnvoxyMixin",
    "get_default_server_key",
    "get_manager",
    "metadata",
    "register_envoxy_listeners",
    "schema",
    "session_scope",
    "sqltypes",
    "transactional",
]

_WHERE = {
    "EnvoxyBase": "base",
    "metadata": "base",
    "EnvoxyMeta": "meta",
    "EnvoxyMixin": "mixin",
    "register_envoxy_listeners": "listeners",
    "get_default_server_key": "session",
    "get_manager": "session",
    "session_scope": "session",
    "transactional": "session",
}

if TYPE_CHECKING:
    from envoxy.db.orm import schema, sqltypes
    from envoxy.db.orm.base import EnvoxyBase, metadata
    from envoxy.db.orm.listeners import register_envoxy_listeners
    from envoxy.db.orm.meta import EnvoxyMeta
    from envoxy.db.orm.mixin import EnvoxyMixin
    from envoxy.db.orm.session import (
        get_default_server_key,
        get_manager,
        session_scope,
        transactional,
    )


def __getattr__(name: str) -> Any:
    if name in ("schema", "sqltypes"):
        return importlib.import_module(f"{__name__}.{name}")
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
