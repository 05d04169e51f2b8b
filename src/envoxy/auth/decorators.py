"""``@auth_required(roles=[...])`` and ``@auth_anonymous_allowed()`` on view methods.

The backend (envoxy.auth.backends) runs before the view; a dict it returns is
merged into the view's keyword arguments. Decorated methods are marked so the
HTTP routes check at boot that a backend exists.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from envoxy.auth.backends import AUTH_MARK, AuthBackendMixin
from envoxy.views.dispatch import accepted_keywords, fit_keywords

__all__ = [
    "AUTH_MARK",
    "AUTH_OPTIONS",
    "auth_anonymous_allowed",
    "auth_required",
    "guard",
]

#: the decorator's keyword options, so another decorator can re-apply it
AUTH_OPTIONS = "__envoxy_auth_options__"
_mixin = AuthBackendMixin()


def guard(
    kind: str, options: dict[str, Any]
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        # the method gets what it takes: with **kwargs, the options, the
        # backend's extras (claims=) and endpoint= as upstream; else only its
        # own parameters (decided once, here)
        accepted = accepted_keywords(func)

        @functools.wraps(func)
        def wrapper(view: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            kwargs.update(options)
            check = _mixin.authenticate if kind == "required" else _mixin.anonymous
            extra = check(request, *args, **kwargs)
            if isinstance(extra, dict):
                kwargs.update(extra)
            return func(view, request, *args, **fit_keywords(accepted, kwargs))

        setattr(wrapper, AUTH_MARK, kind)
        setattr(wrapper, AUTH_OPTIONS, dict(options))
        return wrapper

    return decorate


def auth_required(**options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Refuse the request unless the backend authenticates it (401/403)."""
    return guard("required", options)


def auth_anonymous_allowed(
    **options: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Let anonymous requests through; authenticated ones get their claims."""
    return guard("anonymous", options)
