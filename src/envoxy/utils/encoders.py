"""JSON for envoxy: ``envoxy_json_dumps``/``envoxy_json_loads`` and a stdlib encoder.

The functions are bound once, at import, to the compiled encoder or its
pure-Python twin (see ``envoxy._speedups``); calling them costs no dispatch.
"""

from __future__ import annotations

import json
from typing import Any

from envoxy import _speedups

__all__ = [
    "EnvoxyJsonEncoder",
    "envoxy_json_dumps",
    "envoxy_json_encode_default",
    "envoxy_json_loads",
    "format_api_datetime",
]

_impl = _speedups.load("encoder")

#: ``obj -> bytes``: compact UTF-8 JSON with envoxy's type rules.
envoxy_json_dumps = _impl.dumps
#: ``bytes | str -> Any``: strict JSON (no NaN literals), via orjson.
envoxy_json_loads = _impl.loads
#: The hook for the types orjson does not encode (datetime, date, Decimal, sets...).
envoxy_json_encode_default = _impl.encode_default
#: ``datetime -> "YYYY-MM-DDTHH:MM:SS.mmm+0000"`` (UTC; naive taken as UTC).
format_api_datetime = _impl.format_datetime


class EnvoxyJsonEncoder(json.JSONEncoder):
    """``json.dumps(obj, cls=EnvoxyJsonEncoder)`` with the same type rules as
    ``envoxy_json_dumps`` (ints of any size stay numbers: stdlib handles them)."""

    def default(self, o: Any) -> Any:
        return envoxy_json_encode_default(o)
