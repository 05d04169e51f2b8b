"""Upstream's path for the mixin and its listeners (``envoxy.db.envoxy_mixin``)."""

from envoxy.db.orm.listeners import register_envoxy_listeners
from envoxy.db.orm.mixin import EnvoxyMixin

__all__ = ["EnvoxyMixin", "register_envoxy_listeners"]
