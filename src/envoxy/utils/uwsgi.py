"""The one place that reads the running uWSGI: its API module and its options.

Outside uWSGI (a test, another WSGI server) both answer ``None``, so callers
need no import guards of their own.
"""

from __future__ import annotations

from typing import Any

__all__ = ["api", "option", "publish", "raw_option"]


def api() -> Any:
    """The running uWSGI's ``uwsgi`` module; ``None`` under another server."""
    try:
        import uwsgi  # type: ignore[import-not-found]
    except ImportError:
        return None
    return uwsgi


def option(name: str) -> str | None:
    """The last ``--set name=value`` (or ``--name value``) of the running
    uWSGI, decoded; ``None`` outside uWSGI or when it is not given."""
    uwsgi = api()
    if uwsgi is None:
        return None
    value = uwsgi.opt.get(name)
    if isinstance(value, list):
        value = value[-1] if value else None
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value  # type: ignore[no-any-return]


def raw_option(name: str) -> Any:
    """The option as the running uWSGI holds it (bytes, a list, or what a
    process put there); ``None`` outside uWSGI."""
    uwsgi = api()
    return None if uwsgi is None else uwsgi.opt.get(name)


def publish(name: str, value: Any) -> bool:
    """Put ``value`` in this process's ``uwsgi.opt`` (upstream services read
    ``uwsgi.opt["conf_content"]``); whether it could."""
    uwsgi = api()
    if uwsgi is None:
        return False
    try:
        uwsgi.opt[name] = value
    except TypeError:  # a uWSGI whose opt is read-only
        return False
    return True
