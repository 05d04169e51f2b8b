"""``EnvoxyBase``: the declarative base of envoxy service models."""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.orm import declarative_base

from envoxy.db.orm.listeners import register_envoxy_listeners
from envoxy.db.orm.meta import EnvoxyMeta
from envoxy.db.orm.mixin import EnvoxyMixin
from envoxy.db.orm.names import naming_convention

__all__ = ["EnvoxyBase", "make_envoxy_base", "metadata"]


def make_envoxy_base(metadata: MetaData | None = None, name: str = "EnvoxyBase") -> Any:
    """A new abstract envoxy base with its own registry and metadata (tests, or a
    service that keeps two model sets apart). Most code uses ``EnvoxyBase``."""
    metadata = metadata or MetaData(naming_convention=naming_convention())
    declarative = declarative_base(
        metadata=metadata, metaclass=EnvoxyMeta, name=f"_{name}"
    )
    return EnvoxyMeta(
        name,
        (EnvoxyMixin, declarative),
        {
            "__abstract__": True,
            "__module__": __name__,
            "__doc__": "Subclass it to declare a table: naming, audit columns and "
            "constraint names follow the envoxy conventions (docs/ORM.md).",
        },
    )


EnvoxyBase = make_envoxy_base()
#: All ``EnvoxyBase`` models' tables, with envoxy's constraint naming convention.
metadata: MetaData = EnvoxyBase.metadata

register_envoxy_listeners()
