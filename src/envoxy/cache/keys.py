"""Cache keys: stable, documented, shared by views and ZeroMQ routes.

``<key_prefix>:<endpoint>:<method>:<params>`` where ``<params>`` is the
URL-safe base64 of the params as compact JSON with sorted keys, so the same
params give the same key whatever their order (``None`` -> ``bnVsbA==``,
``{}`` -> ``e30=``). Example: ``envoxy:/v3/cards?page=2:get:e30=``.
"""

from __future__ import annotations

from base64 import urlsafe_b64encode
from typing import Any

import orjson

from envoxy.utils.encoders import envoxy_json_encode_default

__all__ = ["DEFAULT_KEY_PREFIX", "cache_key", "params_token"]

DEFAULT_KEY_PREFIX = "envoxy"


def params_token(params: Any) -> str:
    data = orjson.dumps(
        params,
        default=envoxy_json_encode_default,
        option=orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME,
    )
    return urlsafe_b64encode(data).decode("ascii")


def cache_key(
    endpoint: str, method: Any, params: Any, prefix: str = DEFAULT_KEY_PREFIX
) -> str:
    """The key of one cached answer (``method`` may be a name or a Performative)."""
    shown = int(method) if isinstance(method, int) else method
    return f"{prefix}:{endpoint}:{shown}:{params_token(params)}"
