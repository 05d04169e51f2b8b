"""``EnvoxyMixin``: the audit columns every envoxy table carries."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, String

__all__ = ["AUDIT_COLUMNS", "EnvoxyMixin"]

AUDIT_COLUMNS = ("id", "created", "updated", "href")


class EnvoxyMixin:
    """``id`` (uuid4 string, primary key), ``created``/``updated`` (naive UTC) and
    ``href`` (``/v3/data-layer/<table>/<id>``), filled by the listeners."""

    id = Column("id", String(36), primary_key=True)
    created = Column("created", DateTime, nullable=False)
    updated = Column("updated", DateTime, nullable=False)
    href = Column("href", String(1024), nullable=False)
