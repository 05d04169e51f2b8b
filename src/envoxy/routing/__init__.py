"""Routing: the endpoint grammar and the compiled router, for every transport.

``parse_endpoint``/``parse_topic`` (envoxy.routing.grammar) turn a declared
endpoint into the router's pattern and typed capture plan; ``Router`` (the
compiled ``envoxy.routing._router_c``, or its pure twin) matches a path or a
topic level by level and returns each target with its variables already
converted.
"""

from __future__ import annotations

from envoxy import _speedups
from envoxy.routing.grammar import (
    CONVERTERS,
    Capture,
    Endpoint,
    NoMatch,
    parse_endpoint,
    parse_topic,
)

__all__ = [
    "CONVERTERS",
    "Capture",
    "Endpoint",
    "NoMatch",
    "Router",
    "parse_endpoint",
    "parse_topic",
]

#: the compiled router when built, else its pure-Python twin (envoxy._speedups)
Router = _speedups.load("router").Router
