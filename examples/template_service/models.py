"""The template service's tables. EnvoxyBase adds id, created, updated and
href and names the table ``aux_devices`` (envoxy's docs/ORM.md); the schema
is migrated with envoxy-alembic (migrations/)."""

from __future__ import annotations

from sqlalchemy import Column, Index, String

from envoxy.db.orm import EnvoxyBase


class Device(EnvoxyBase):
    name = Column(String(120), nullable=False)
    state = Column(String(32), nullable=False, default="unknown")

    __table_args__ = (Index("idx_devices_name", "name"),)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "href": self.href,
            "created": self.created,
            "updated": self.updated,
        }
