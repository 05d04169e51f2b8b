"""HTTP routes of ``@on(protocols=["http"])`` views, matched by the router.

Endpoints are parsed by the one grammar (envoxy.routing.grammar) and matched
by the compiled router, which returns each route with its variables already
converted (a value that does not convert is no match). Routes are tried in
registration order; the first with the request's method wins. A path no
route matches is a 404; one that matches only routes without the method is a
405 with ``Allow``. How a method is called (``HEAD`` runs ``get``,
``endpoint=`` only when the method takes it, auth checked at boot) is the
dispatch core's (envoxy.views.dispatch).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from envoxy.exceptions import ConfigError
from envoxy.routing import Router, parse_endpoint
from envoxy.views.dispatch import Target, bind
from envoxy.views.views import route_of

__all__ = [
    "HTTP_METHODS",
    "LANES",
    "HttpRoutes",
    "MethodNotAllowed",
    "NotFound",
    "Route",
]

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
#: ``@on(..., priority=...)`` lanes (envoxy.http.app caps each lane).
LANES = ("high", "medium", "low")


class NotFound(LookupError):
    """No route for this path."""


class MethodNotAllowed(LookupError):
    """Routes exist for this path, none with this method."""

    def __init__(self, allowed: list[str]) -> None:
        super().__init__(", ".join(allowed))
        self.allowed = allowed


class Route:
    """One view's endpoint and its method targets."""

    __slots__ = ("endpoint", "lane", "targets", "view")

    def __init__(self, endpoint: str, view: Any, targets: dict[str, Target]) -> None:
        self.endpoint = endpoint
        self.view = view
        self.lane: str | None = None
        self.targets = targets


class HttpRoutes:
    """The HTTP routes of a set of views."""

    def __init__(self, views: Iterable[Any] = ()) -> None:
        self._router = Router()
        self.routes: list[Route] = []
        for view in views:
            self.add_view(view)

    def add_view(self, view: Any) -> bool:
        """Route ``view`` when its ``@on`` lists ``http``; whether it did."""
        meta = route_of(view)
        if "http" not in (meta.get("protocols") or []):
            return False
        name = type(view).__name__
        endpoint = meta.get("endpoint")
        if not isinstance(endpoint, str):
            raise ConfigError(f"{name}: @on(...) needs endpoint=")
        lane = meta.get("priority")
        if lane is not None and lane not in LANES:
            raise ConfigError(f"{name}: priority must be one of {', '.join(LANES)}")
        targets = {
            method: target
            for method, target in bind(view, endpoint).items()
            if method in ("HEAD", *(m.upper() for m in HTTP_METHODS))
        }
        if not targets:
            raise ConfigError(
                f"{name} is an HTTP view without a get, post, put, patch or"
                " delete method"
            )
        self._add(endpoint, view, targets).lane = lane
        if "http" not in getattr(view, "protocols", ["http"]):
            view.protocols.append("http")
        return True

    def add(self, endpoint: str, handlers: Mapping[str, Callable[..., Any]]) -> None:
        """A route outside any view (``/_health``): ``{"GET": fn(request)}``."""
        targets = {
            method.upper(): Target(func, endpoint, f"{endpoint} {method}")
            for method, func in handlers.items()
        }
        if "GET" in targets:
            targets.setdefault("HEAD", targets["GET"])
        self._add(endpoint, None, targets)

    def _add(self, endpoint: str, view: Any, targets: dict[str, Target]) -> Route:
        parsed = parse_endpoint(endpoint)
        route = Route(endpoint, view, targets)
        self._router.add(parsed.pattern, route, parsed.captures)
        self.routes.append(route)
        return route

    def resolve(
        self, method: str, path: str
    ) -> tuple[Target, Mapping[str, Any], str | None]:
        """The target, its converted variables and the priority lane for a
        request; ``NotFound`` or ``MethodNotAllowed`` otherwise."""
        allowed: list[str] = []
        for route, params in self._router.match(path):
            target = route.targets.get(method)
            if target is not None:
                return target, params, route.lane
            allowed.extend(m for m in route.targets if m not in allowed)
        if allowed:
            raise MethodNotAllowed(sorted(allowed))
        raise NotFound(path)
