"""Upstream's path for ``EnvoxySessionManager``."""

from envoxy.db.orm.manager import EnvoxySessionManager

__all__ = ["EnvoxySessionManager"]
