"""Upstream's path for ``to_sa_text`` (``envoxy.db.orm.helpers``)."""

from envoxy.db.helpers import to_sa_text

__all__ = ["to_sa_text"]
