"""Upstream's path for the data dispatchers (``pgsqlc``, ``redisc``,
``couchdbc``, ``chsqlc``)."""

from envoxy.clickhouse.dispatcher import ClickHouseDispatcher
from envoxy.couchdb.dispatcher import CouchDBDispatcher
from envoxy.exceptions import DatabaseException
from envoxy.postgresql.dispatcher import PgDispatcher
from envoxy.redis.dispatcher import RedisDBDispatcher

__all__ = [
    "ClickHouseDispatcher",
    "CouchDBDispatcher",
    "DatabaseException",
    "PgDispatcher",
    "RedisDBDispatcher",
]
