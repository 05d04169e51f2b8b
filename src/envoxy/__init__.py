"""envoxy: a service platform framework with a compiled core.

``from envoxy import *`` gives exactly ``__all__``. Sub-modules keep upstream
envoxy's paths (``envoxy.asserts``, ``envoxy.utils.encoders``,
``envoxy.views.containers``...). Importing envoxy prints nothing and connects to
nothing; subsystems not built yet are absent here rather than stubbed.
"""

from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version

from envoxy import cache
from envoxy._speedups import extension_status
from envoxy.auth.backends import AuthBackendMixin
from envoxy.auth.backends import authenticate_container as authenticate
from envoxy.cache import Cache, RedisCache
from envoxy.celery.client import Client as celeryc
from envoxy.clickhouse.dispatcher import ClickHouseDispatcher as chsqlc
from envoxy.constants import (
    CACHE_DEFAULT_TTL,
    DEFAULT_CHUNK_SIZE,
    DEFAULT_OFFSET_LIMIT,
    DELETE,
    EMAIL_REGEX,
    GET,
    HASH_CHARSET,
    HASH_LENGTH,
    HASH_REGEX,
    MAX_CONN,
    MIN_CONN,
    PATCH,
    PHONE_REGEX,
    POST,
    PUT,
    REDIS_BACKEND,
    REDIS_DEFAULT_DB,
    REDIS_DEFAULT_HOST,
    REDIS_DEFAULT_PORT,
    REDIS_DEFAULT_TTL,
    SERVER_NAME,
    TIMEOUT_CONN,
    TOKEN_CHARSET,
    TOKEN_LENGHT,
    TOKEN_REGEX,
    URI_REGEX,
    URL_REGEX,
    ZEROMQ_CONTEXT,
    ZEROMQ_MAX_WORKERS,
    ZEROMQ_MAX_WORKERS_PER_THREAD,
    ZEROMQ_POLLER_RETRIES,
    ZEROMQ_POLLIN_TIMEOUT,
    ZEROMQ_RETRY_TIMEOUT,
    Performative,
)
from envoxy.couchdb.dispatcher import CouchDBDispatcher as couchdbc
from envoxy.decorators import auth_anonymous_allowed, auth_required, log_event, on
from envoxy.exceptions import (
    ConfigError,
    DatabaseException,
    EnvoxyException,
    ValidationException,
)
from envoxy.hooks import every, on_shutdown, on_startup
from envoxy.mqtt.dispatcher import Dispatcher as mqttc
from envoxy.postgresql.dispatcher import PgDispatcher as pgsqlc
from envoxy.redis.dispatcher import RedisDBDispatcher as redisc
from envoxy.utils.config import Config
from envoxy.utils.encoders import envoxy_json_dumps, envoxy_json_loads
from envoxy.utils.logs import Log, log
from envoxy.utils.watchdog import Watchdog
from envoxy.views.containers import Response
from envoxy.views.views import View
from envoxy.zeromq.dispatcher import Dispatcher as zmqc

try:
    __version__ = _version("envoxy")
except _PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "unknown"


def alembic_config_path() -> str:
    """Absolute path of the packaged ``alembic.ini`` (upstream's top-level
    helper; envoxy.tools.alembic loads Alembic only when migrating)."""
    from envoxy.tools.alembic import alembic_config_path as packaged

    return packaged()


__all__ = [
    "CACHE_DEFAULT_TTL",
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_OFFSET_LIMIT",
    "DELETE",
    "EMAIL_REGEX",
    "GET",
    "HASH_CHARSET",
    "HASH_LENGTH",
    "HASH_REGEX",
    "MAX_CONN",
    "MIN_CONN",
    "PATCH",
    "PHONE_REGEX",
    "POST",
    "PUT",
    "REDIS_BACKEND",
    "REDIS_DEFAULT_DB",
    "REDIS_DEFAULT_HOST",
    "REDIS_DEFAULT_PORT",
    "REDIS_DEFAULT_TTL",
    "SERVER_NAME",
    "TIMEOUT_CONN",
    "TOKEN_CHARSET",
    "TOKEN_LENGHT",
    "TOKEN_REGEX",
    "URI_REGEX",
    "URL_REGEX",
    "ZEROMQ_CONTEXT",
    "ZEROMQ_MAX_WORKERS",
    "ZEROMQ_MAX_WORKERS_PER_THREAD",
    "ZEROMQ_POLLER_RETRIES",
    "ZEROMQ_POLLIN_TIMEOUT",
    "ZEROMQ_RETRY_TIMEOUT",
    "AuthBackendMixin",
    "Cache",
    "Config",
    "ConfigError",
    "DatabaseException",
    "EnvoxyException",
    "Log",
    "Performative",
    "RedisCache",
    "Response",
    "ValidationException",
    "View",
    "Watchdog",
    "alembic_config_path",
    "auth_anonymous_allowed",
    "auth_required",
    "authenticate",
    "cache",
    "celeryc",
    "chsqlc",
    "couchdbc",
    "envoxy_json_dumps",
    "envoxy_json_loads",
    "every",
    "extension_status",
    "log",
    "log_event",
    "mqttc",
    "on",
    "on_shutdown",
    "on_startup",
    "pgsqlc",
    "redisc",
    "zmqc",
]
