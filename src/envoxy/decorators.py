"""View decorators (upstream path ``envoxy.decorators``).

``cache`` is here now; ``on``, ``auth_required`` and ``log_event`` arrive with
the views and messaging subsystems.
"""

from envoxy.cache.decorator import CacheDecorator as cache

__all__ = ["cache"]
