"""Audit listeners: fill ``id``, ``created``, ``updated`` and ``href`` on insert,
and bump ``updated`` on every flushed UPDATE.

They are attached to ``EnvoxyMixin`` with ``propagate=True``, so they run for
envoxy models only and never touch other SQLAlchemy models in the process.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Mapper, object_session

from envoxy.db.orm.mixin import EnvoxyMixin

__all__ = ["HREF_PREFIX", "register_envoxy_listeners", "utc_now"]

HREF_PREFIX = "/v3/data-layer"

_lock = threading.Lock()
_registered = False


def utc_now() -> dt.datetime:
    """Naive UTC: ``DateTime`` columns have no zone on PostgreSQL or SQLite."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _before_insert(mapper: Mapper[Any], connection: Any, target: Any) -> None:
    now = utc_now()
    if not target.id:
        target.id = str(uuid.uuid4())
    if not target.created:
        target.created = now
    if not target.updated:
        target.updated = now
    if not target.href:
        table = (
            getattr(mapper.local_table, "name", None) or mapper.class_.__name__.lower()
        )
        target.href = f"{HREF_PREFIX}/{table}/{target.id}"


def _before_update(mapper: Mapper[Any], connection: Any, target: Any) -> None:
    session = object_session(target)
    if session is None or session.is_modified(target, include_collections=False):
        target.updated = utc_now()


def register_envoxy_listeners() -> None:
    """Attach the audit listeners (idempotent; envoxy models only)."""
    global _registered
    with _lock:
        if _registered:
            return
        event.listen(EnvoxyMixin, "before_insert", _before_insert, propagate=True)
        event.listen(EnvoxyMixin, "before_update", _before_update, propagate=True)
        _registered = True
