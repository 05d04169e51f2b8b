"""Database errors (upstream path ``envoxy.db.exceptions``)."""

from envoxy.exceptions import DatabaseException

__all__ = ["DatabaseException"]
