"""``EnvoxyMixin``: the audit columns every envoxy table carries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, DateTime, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

__all__ = ["AUDIT_COLUMNS", "EnvoxyMixin"]

AUDIT_COLUMNS = ("id", "created", "updated", "href")
#: the audit columns' place: after the model's own (which sort at 0)
AFTER = 1_000_000


def _declares_primary_key(cls: Any) -> bool:
    """Whether the model names a primary key of its own (a column other than
    ``id``, or a ``PrimaryKeyConstraint`` in ``__table_args__``)."""
    for klass in cls.__mro__:
        if klass is EnvoxyMixin:
            continue
        for name, value in vars(klass).items():
            column = getattr(value, "column", value)  # mapped_column() holds one
            if name != "id" and isinstance(column, Column) and column.primary_key:
                return True
        args = vars(klass).get("__table_args__")
        if isinstance(args, tuple) and any(
            isinstance(item, PrimaryKeyConstraint) for item in args
        ):
            return True
    return False


class EnvoxyMixin:
    """``id`` (uuid4 string), ``created``/``updated`` (naive UTC) and ``href``
    (``/v3/data-layer/<table>/<id>``), filled by the listeners. ``id`` is the
    primary key unless the model declares its own: then ``id`` is a unique,
    non-null column beside it (a model mixing this into a plain declarative
    base keeps its key)."""

    @declared_attr
    def id(cls) -> Mapped[str]:
        if _declares_primary_key(cls):
            return mapped_column(
                "id", String(36), unique=True, nullable=False, sort_order=AFTER
            )
        return mapped_column("id", String(36), primary_key=True, sort_order=AFTER)

    # after the model's own columns, in this order (sort_order: the declared
    # id would otherwise come last)
    created = mapped_column("created", DateTime, nullable=False, sort_order=AFTER + 1)
    updated = mapped_column("updated", DateTime, nullable=False, sort_order=AFTER + 2)
    href = mapped_column("href", String(1024), nullable=False, sort_order=AFTER + 3)
