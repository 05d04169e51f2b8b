"""SQLAlchemy session helpers (upstream path ``envoxy.postgresql.sqlalchemy``)."""

from envoxy.db.orm.session import (
    dispose_all,
    dispose_manager,
    get_default_server_key,
    get_manager,
    session_scope,
    transactional,
    validate_server_key,
)
from envoxy.postgresql.sqlalchemy.session import EnvoxySessionManager

__all__ = [
    "EnvoxySessionManager",
    "dispose_all",
    "dispose_manager",
    "get_default_server_key",
    "get_manager",
    "session_scope",
    "transactional",
    "validate_server_key",
]
