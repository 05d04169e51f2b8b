"""SQL helpers shared by the raw and ORM database layers."""

from __future__ import annotations

import re

from sqlalchemy import TextClause, text

__all__ = ["to_sa_text"]

_PYFORMAT = re.compile(r"%\((\w+)\)s")


def to_sa_text(sql: str) -> TextClause:
    """``%(name)s`` (psycopg2) parameters to a SQLAlchemy ``text()`` with ``:name``."""
    return text(_PYFORMAT.sub(r":\1", sql))
