"""HTTP and event views, and the Response container."""

from envoxy.views.views import View

__all__ = ["View"]
