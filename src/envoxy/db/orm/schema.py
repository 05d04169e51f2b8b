"""Schema helpers that apply the service prefix (``ForeignKey``, ``Table``...)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import Column, Index, UniqueConstraint

from envoxy.db.orm.constants import AUX_TABLE_PREFIX
from envoxy.db.orm.names import prefix_fk_spec
from envoxy.db.orm.naming import prefixed

__all__ = ["Column", "ForeignKey", "Index", "Table", "UniqueConstraint", "prefixed"]


def ForeignKey(target: Any, *args: Any, **kwargs: Any) -> sa.ForeignKey:
    """``sqlalchemy.ForeignKey`` with a ``"table.column"`` target prefixed."""
    if isinstance(target, str):
        target = prefix_fk_spec(target, AUX_TABLE_PREFIX)
    return sa.ForeignKey(target, *args, **kwargs)


def Table(name: str, *args: Any, **kwargs: Any) -> sa.Table:
    """``sqlalchemy.Table`` whose name carries the service prefix."""
    return sa.Table(prefixed(name), *args, **kwargs)
