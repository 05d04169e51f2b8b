"""The example's one table: ``aux_greetings`` (EnvoxyBase adds id, created,
updated and href)."""

from __future__ import annotations

from sqlalchemy import Column, String

from envoxy.db.orm import EnvoxyBase


class Greeting(EnvoxyBase):
    name = Column(String(80), nullable=False)
    message = Column(String(280), nullable=False)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "message": self.message,
            "href": self.href,
            "created": self.created,
            "updated": self.updated,
        }
