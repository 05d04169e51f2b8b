"""``EnvoxyMeta``: names each model's table before SQLAlchemy maps it.

- ``__exception_tablename__``: used verbatim (no prefix, no plural);
- an explicit ``__tablename__``: kept, with the service prefix added;
- a subclass of a mapped model without its own ``__tablename__``: single-table
  inheritance, no new table (upstream created a second one and failed);
- otherwise ``aux_`` + the plural of the snake_case class name.

String foreign-key targets (``ForeignKey("users.id")``) get the prefix too,
and so do explicitly named indexes and constraints in ``__table_args__``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeMeta
from sqlalchemy.sql.elements import conv

from envoxy.db.orm.constants import AUX_TABLE_PREFIX
from envoxy.db.orm.names import prefix_fk_spec, shorten
from envoxy.db.orm.naming import prefixed, table_name_for

__all__ = ["EnvoxyMeta"]


def _is_mapped(cls: type) -> bool:
    return "__table__" in vars(cls) or "__mapper__" in vars(cls)


def _mapped_ancestor(bases: tuple[type, ...]) -> bool:
    return any(_is_mapped(ancestor) for base in bases for ancestor in base.__mro__)


def _inherited(bases: tuple[type, ...], attribute: str) -> Any:
    for base in bases:
        value = getattr(base, attribute, None)
        if isinstance(value, str):
            return value
    return None


def _table_name(name: str, bases: tuple[type, ...], dct: dict[str, Any]) -> str | None:
    exception = dct.get("__exception_tablename__")
    if exception:
        return str(exception)
    if "__tablename__" in dct:
        explicit = dct["__tablename__"]
        return prefixed(explicit) if isinstance(explicit, str) else None
    if _mapped_ancestor(bases):
        return None
    exception = _inherited(bases, "__exception_tablename__")
    if exception:
        return exception
    explicit = _inherited(bases, "__tablename__")
    return prefixed(explicit) if explicit else table_name_for(name)


def _prefix_column(column: Any) -> None:
    column = getattr(column, "column", column)  # mapped_column() holds a Column
    if isinstance(column, Column):
        for foreign_key in column.foreign_keys:
            _prefix_element(foreign_key)


def _prefix_element(foreign_key: Any) -> None:
    """Prefix a string ``"table.column"`` target before SQLAlchemy resolves it.

    Where the raw target lives is private and changed in SQLAlchemy 2.1
    (``_given_tokens``) from 2.0 (``_colspec``); tests/unit/test_orm_naming.py
    pins the behaviour on the installed version.
    """
    tokens = getattr(foreign_key, "_given_tokens", None)
    if tokens is not None:  # SQLAlchemy 2.1+: (schema, table_name, column_name)
        if tokens.schema or not tokens.table_name:
            return
        spec = prefix_fk_spec(
            f"{tokens.table_name}.{tokens.column_name}", AUX_TABLE_PREFIX
        )
        foreign_key._given_tokens = tokens._replace(table_name=spec.partition(".")[0])
        return
    spec = getattr(foreign_key, "_colspec", None)  # SQLAlchemy 2.0
    if isinstance(spec, str):
        foreign_key._colspec = prefix_fk_spec(spec, AUX_TABLE_PREFIX)


#: ``__table_args__`` items whose explicit name gets the service prefix
_NAMED = (Index, UniqueConstraint, CheckConstraint, PrimaryKeyConstraint)


def _prefix_names(dct: dict[str, Any]) -> None:
    """An explicitly named index or constraint gets the service prefix, as
    upstream's (``Index("idx_products_sku", ...)`` -> ``aux_idx_products_sku``),
    so a model and upstream-generated migrations agree; a name already
    starting with the prefix is kept. At most 63 characters (``shorten``)."""
    table_args = dct.get("__table_args__")
    items = table_args if isinstance(table_args, tuple) else ()
    for item in items:
        if isinstance(item, (*_NAMED, ForeignKeyConstraint)):
            name = item.name
            if isinstance(name, str) and name and not name.startswith(AUX_TABLE_PREFIX):
                item.name = conv(shorten(AUX_TABLE_PREFIX + name))


def _prefix_foreign_keys(dct: dict[str, Any]) -> None:
    for value in dct.values():
        _prefix_column(value)
    table_args = dct.get("__table_args__")
    items = table_args if isinstance(table_args, tuple) else ()
    for item in items:
        if isinstance(item, ForeignKeyConstraint):
            for element in item.elements:
                _prefix_element(element)


class EnvoxyMeta(DeclarativeMeta):
    """Declarative metaclass that applies envoxy's table naming rules."""

    def __init__(cls, name: str, bases: tuple[type, ...], dct: dict[str, Any]) -> None:
        is_model = any(hasattr(base, "_sa_registry") for base in bases)
        if is_model and not dct.get("__abstract__"):
            table = _table_name(name, bases, dct)
            if table is not None:
                cls.__tablename__ = table
            _prefix_foreign_keys(dct)
            _prefix_names(dct)
        super().__init__(name, bases, dct)
