"""HTTP routes of ``@on(protocols=["http"])`` views, matched by the compiled router.

The path is matched level by level (cost flat in the number of routes), in
registration order; the first route whose variables convert and which has
the request's method wins. A path no route matches is a 404; one that matches
only routes without the method is a 405 with ``Allow``. ``HEAD`` runs ``get``
(the body is dropped later); ``OPTIONS`` answers with ``Allow``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from envoxy import _speedups
from envoxy.auth.backends import require_backend
from envoxy.auth.decorators import AUTH_MARK
from envoxy.exceptions import ConfigError
from envoxy.http.converters import NoMatch, Segment, parse_endpoint
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
    """One view's endpoint: its variable segments and method handlers."""

    __slots__ = ("_plan", "endpoint", "handlers", "lane", "view")

    def __init__(self, endpoint: str, view: Any, segments: tuple[Segment, ...]) -> None:
        self.endpoint = endpoint
        self.view = view
        self.lane: str | None = None
        # PERF(http-load): plain tuples, read once per request without attribute lookups
        self._plan = tuple((s.index, s.name, s.convert, s.rest) for s in segments)
        self.handlers: dict[str, Callable[..., Any]] = {
            name.upper(): getattr(view, name)
            for name in HTTP_METHODS
            if callable(getattr(view, name, None))
        }

    def arguments(self, path: str) -> dict[str, Any]:
        """The converted ``{name: value}`` of ``path``; ``NoMatch`` if one fails."""
        found: dict[str, Any] = {}
        if self._plan:
            levels = path.split("/")
            for index, name, convert, rest in self._plan:
                found[name] = convert(
                    "/".join(levels[index:]) if rest else levels[index]
                )
        found["endpoint"] = self.endpoint  # upstream passes the raw endpoint too
        return found


class HttpRoutes:
    """The HTTP routes of a set of views."""

    def __init__(self, views: Iterable[Any] = ()) -> None:
        self._router = _speedups.load("router").Router()
        self.routes: list[Route] = []
        for view in views:
            self.add_view(view)

    def add_view(self, view: Any) -> bool:
        """Route ``view`` when its ``@on`` lists ``http``; whether it did."""
        meta = route_of(view)
        if "http" not in (meta.get("protocols") or []):
            return False
        endpoint = meta.get("endpoint")
        if not isinstance(endpoint, str):
            raise ConfigError(f"{type(view).__name__}: @on(...) needs endpoint=")
        pattern, segments = parse_endpoint(endpoint)
        route = Route(endpoint, view, segments)
        lane = meta.get("priority")
        if lane is not None and lane not in LANES:
            raise ConfigError(
                f"{type(view).__name__}: priority must be one of {', '.join(LANES)}"
            )
        route.lane = lane
        if not route.handlers:
            raise ConfigError(
                f"{type(view).__name__} is an HTTP view without a get, post, put,"
                " patch or delete method"
            )
        for method, handler in route.handlers.items():
            if getattr(handler, AUTH_MARK, None):
                require_backend(f"{type(view).__name__}.{method.lower()}")
        self._router.add(pattern, route)
        self.routes.append(route)
        if "http" not in getattr(view, "protocols", ["http"]):
            view.protocols.append("http")
        return True

    def add(self, endpoint: str, handlers: dict[str, Callable[..., Any]]) -> None:
        """A route outside any view (``/_health``): ``{"GET": fn(request)}``."""
        holder = type(
            "Handlers", (), {k.lower(): staticmethod(v) for k, v in handlers.items()}
        )
        pattern, segments = parse_endpoint(endpoint)
        route = Route(endpoint, holder(), segments)
        self._router.add(pattern, route)
        self.routes.append(route)

    def resolve(
        self, method: str, path: str
    ) -> tuple[Callable[..., Any], dict[str, Any], str | None]:
        """The handler, keyword arguments and priority lane for a request;
        ``NotFound`` or ``MethodNotAllowed`` otherwise."""
        wanted = "GET" if method == "HEAD" else method
        allowed: list[str] = []
        for route, _ in self._router.match(path):
            try:
                arguments = route.arguments(path)
            except NoMatch:
                continue
            handler = route.handlers.get(wanted)
            if handler is not None:
                return handler, arguments, route.lane
            allowed.extend(m for m in route.handlers if m not in allowed)
        if allowed:
            if "GET" in allowed:
                allowed.append("HEAD")
            raise MethodNotAllowed(sorted(allowed))
        raise NotFound(path)
