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
from envoxy.celery.client import Client as celeryc
from envoxy.constants import Performative
from envoxy.couchdb.dispatcher import CouchDBDispatcher as couchdbc
from envoxy.decorators import auth_required, log_event, on
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
from envoxy.views.containers import Response
from envoxy.views.views import View
from envoxy.zeromq.dispatcher import Dispatcher as zmqc

try:
    __version__ = _version("envoxy")
except _PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "unknown"

__all__ = [
    "Config",
    "ConfigError",
    "DatabaseException",
    "EnvoxyException",
    "Log",
    "Performative",
    "Response",
    "ValidationException",
    "View",
    "auth_required",
    "cache",
    "celeryc",
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
