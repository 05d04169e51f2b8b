"""Constraint names for envoxy metadata, bound to the compiled name hasher.

``naming_convention()`` is handed to SQLAlchemy's ``MetaData``: SQLAlchemy calls
it when a constraint or index is attached to its table, so the names use the
real table name (prefix included) and the real column names.
"""

from __future__ import annotations

from typing import Any

from envoxy import _speedups
from envoxy.db.orm.constants import AUX_TABLE_PREFIX

__all__ = [
    "check_name",
    "constraint_name",
    "fk_name",
    "naming_convention",
    "prefix_fk_spec",
    "shorten",
]

_impl = _speedups.load("names")

constraint_name = _impl.constraint_name
fk_name = _impl.fk_name
check_name = _impl.check_name
prefix_fk_spec = _impl.prefix_fk_spec
shorten = _impl.shorten


def _column_names(constraint: Any) -> list[str]:
    return [column.name for column in getattr(constraint, "columns", ())]


def _referenced_table(constraint: Any) -> str:
    for element in getattr(constraint, "elements", ()):
        parts = element.target_fullname.split(".")
        if len(parts) >= 2:
            return parts[-2]
    return "ref"


def naming_convention(prefix: str = AUX_TABLE_PREFIX) -> dict[str, Any]:
    """The ``MetaData(naming_convention=...)`` mapping for envoxy tables."""

    def index(constraint: Any, table: Any) -> str:
        return constraint_name(
            "idx", table.name, _column_names(constraint) or ["expr"], prefix
        )

    def unique(constraint: Any, table: Any) -> str:
        return constraint_name(
            "uq", table.name, _column_names(constraint) or ["cols"], prefix
        )

    def foreign_key(constraint: Any, table: Any) -> str:
        return fk_name(
            table.name, _column_names(constraint), _referenced_table(constraint), prefix
        )

    def check(constraint: Any, table: Any) -> str:
        return check_name(table.name, str(constraint.sqltext), prefix)

    def primary_key(constraint: Any, table: Any) -> str:
        return constraint_name("pk", table.name, [], prefix)

    return {
        "ix": "%(envoxy_ix)s",
        "uq": "%(envoxy_uq)s",
        "fk": "%(envoxy_fk)s",
        "ck": "%(envoxy_ck)s",
        "pk": "%(envoxy_pk)s",
        "envoxy_ix": index,
        "envoxy_uq": unique,
        "envoxy_fk": foreign_key,
        "envoxy_ck": check,
        "envoxy_pk": primary_key,
    }
