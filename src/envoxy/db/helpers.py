"""SQL helpers shared by the raw and ORM database layers."""

from __future__ import annotations

import re

from sqlalchemy import TextClause, text
from sqlalchemy.engine import URL, make_url

__all__ = ["DEFAULT_POSTGRES_DRIVER", "to_sa_text", "with_default_driver"]

#: envoxy depends on psycopg2; SQLAlchemy 2.1 would pick psycopg 3 for a bare
#: ``postgresql://`` URL.
DEFAULT_POSTGRES_DRIVER = "psycopg2"

_PYFORMAT = re.compile(r"%\((\w+)\)s")


def to_sa_text(sql: str) -> TextClause:
    """``%(name)s`` (psycopg2) parameters to a SQLAlchemy ``text()`` with ``:name``."""
    return text(_PYFORMAT.sub(r":\1", sql))


def with_default_driver(url: str | URL) -> URL:
    """``postgresql://`` and ``postgres://`` become ``postgresql+psycopg2://``;
    an explicit driver (``postgresql+psycopg://``) and other databases are kept."""
    parsed = make_url(url)
    if "+" in parsed.drivername or parsed.drivername not in ("postgresql", "postgres"):
        return parsed
    return parsed.set(drivername=f"postgresql+{DEFAULT_POSTGRES_DRIVER}")
