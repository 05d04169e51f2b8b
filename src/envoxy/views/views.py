"""``View``: the base class of envoxy handlers, bound with ``@on(...)``.

``@on(endpoint="/v3/things/{id}", protocols=["mqtt"], server="broker")`` stores
the route on the class. For MQTT a view defines ``on_event(self, data, **kw)``
(``kw`` holds ``topic`` and the pattern's ``{var}`` levels); HTTP methods
(``get``, ``post``...) are served by envoxyd.
"""

from __future__ import annotations

from typing import Any

from envoxy.views.containers import Response

__all__ = ["HANDLER_METHODS", "View", "route_of"]

HANDLER_METHODS = ("delete", "get", "on_event", "patch", "post", "put")


def route_of(view: Any) -> dict[str, Any]:
    """The ``@on(...)`` arguments of a view class or instance (``{}`` if none)."""
    meta = getattr(view, "__metaclass__", None)
    if meta is None:
        return {}
    found = {k: v for k, v in vars(meta).items() if not k.startswith("__")}
    if "endpoint" not in found and "route" in found:  # the design documents' name
        found["endpoint"] = found["route"]
    return found


class View:
    """Subclass it, decorate with ``@on(...)``, define handler methods."""

    __metaclass__: Any = None  # upstream's slot for the @on(...) settings

    def __init__(self) -> None:
        self.protocols: list[str] = []

    def get_methods(self) -> list[str]:
        """The handler methods this view defines, in upstream's (sorted) order."""
        return [name for name in HANDLER_METHODS if callable(getattr(self, name, None))]

    def cached_response(self, result: Any) -> Response:
        return Response(result)
