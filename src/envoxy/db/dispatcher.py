"""Upstream's path for the data dispatchers (``pgsqlc``, ``redisc``, ``couchdbc``)."""

from envoxy.couchdb.dispatcher import CouchDBDispatcher
from envoxy.exceptions import DatabaseException
from envoxy.postgresql.dispatcher import PgDispatcher
from envoxy.redis.dispatcher import RedisDBDispatcher

__all__ = [
    "CouchDBDispatcher",
    "DatabaseException",
    "PgDispatcher",
    "RedisDBDispatcher",
]
