"""Subscribing ``@on(..., protocols=["mqtt"])`` views (envoxyd calls this at boot)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from envoxy.exceptions import ConfigError
from envoxy.mqtt.dispatcher import Dispatcher
from envoxy.views.views import route_of

__all__ = ["register_mqtt_views"]


def register_mqtt_views(views: Iterable[Any]) -> int:
    """Subscribe each MQTT view's ``on_event`` to its endpoint; how many were bound."""
    bound = 0
    for view in views:
        route = route_of(view)
        if "mqtt" not in (route.get("protocols") or []):
            continue
        handler = getattr(view, "on_event", None)
        name = type(view).__name__
        if handler is None:
            raise ConfigError(f"{name} is an MQTT view without an on_event method")
        if not route.get("server") or not route.get("endpoint"):
            raise ConfigError(
                f"{name}: @on(..., protocols=['mqtt']) needs endpoint= and server="
            )
        Dispatcher.on(
            route["server"], route["endpoint"], handler, qos=int(route.get("qos", 0))
        )
        if "mqtt" not in view.protocols:
            view.protocols.append("mqtt")
        bound += 1
    return bound
