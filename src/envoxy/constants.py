"""Names and tunables that services and envoxy share (values as in upstream envoxy)."""

from __future__ import annotations

from enum import IntEnum

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
    "Performative",
]

# HTTP verbs as view method names.
GET = "get"
POST = "post"
PUT = "put"
PATCH = "patch"
DELETE = "delete"

SERVER_NAME = "Envoxy Server"

# ZeroMQ client tunables (milliseconds, seconds, counts).
ZEROMQ_POLLIN_TIMEOUT = 5000
ZEROMQ_RETRY_TIMEOUT = 2
ZEROMQ_POLLER_RETRIES = 5
ZEROMQ_MAX_WORKERS = 50
ZEROMQ_MAX_WORKERS_PER_THREAD = 20
ZEROMQ_CONTEXT = 1

# Database pools and paging.
MIN_CONN = 1
MAX_CONN = 20
TIMEOUT_CONN = 5
DEFAULT_CHUNK_SIZE = 10000
DEFAULT_OFFSET_LIMIT = 0

# Cache and Redis defaults.
CACHE_DEFAULT_TTL = 3600
REDIS_BACKEND = "redis"
REDIS_DEFAULT_DB = 1
REDIS_DEFAULT_TTL = 3600
REDIS_DEFAULT_HOST = "127.0.0.1"
REDIS_DEFAULT_PORT = "6379"

# Validation patterns (the exact expressions existing services rely on).
HASH_LENGTH = 45
HASH_CHARSET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890"
HASH_REGEX = r"[a-zA-Z0-9]{45}"
TOKEN_LENGHT = 128  # (sic) the upstream name services import
TOKEN_CHARSET = "abcdefghijklmnopqrstuvwxyz0123456789"  # noqa: S105
TOKEN_REGEX = r"[a-z0-9]{128}"  # noqa: S105
URL_REGEX = (
    r"([@>]{0,1})([a-zA-Z][a-zA-Z0-9+.-]+):"
    + "([^?#]*)"
    + "(?:\\?([^#]*))?"
    + "(?:#(.*))?"
)
URI_REGEX = r"([^?#]*)(?:\\?([^#]*))?(?:#(.*))?"
EMAIL_REGEX = r"(^[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+$)"
PHONE_REGEX = r"(?:\\(([0-9]){1,3}\\)([ ]*))?([0-9]){3,12}"


class Performative(IntEnum):
    """The Zapata request kind; travels as its integer on the wire."""

    GET = 0
    PUT = 1
    POST = 2
    DELETE = 3
    HEAD = 4
    OPTIONS = 5
    PATCH = 6
    REPLY = 7
    SEARCH = 8
    NOTIFY = 9
    TRACE = 10
    CONNECT = 11
