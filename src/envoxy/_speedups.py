"""The one switch between compiled hot-path modules and their pure-Python twins.

Each hot path lives in ``<base>_py.py`` (Cython pure mode) and is compiled from
that same file into ``<base>_c``. ``ENVOXY_NO_EXTENSIONS`` is read once: when it
is true, or when the compiled module is missing or does not export the same
names as its twin, the pure module is used and one DEBUG line says why. Import
never fails because an extension is missing.
"""

from __future__ import annotations

import importlib
import logging
import os
from types import ModuleType

__all__ = ["HOT_PATHS", "NO_EXTENSIONS", "extension_status", "load"]

_log = logging.getLogger("envoxy.speedups")

_TRUE = frozenset({"1", "true", "yes", "on"})

#: hot-path name -> dotted base path (``<base>_py`` and ``<base>_c`` exist).
HOT_PATHS: dict[str, str] = {
    "encoder": "envoxy.utils._encoder",
    "names": "envoxy.db.orm._names",
    "router": "envoxy.routing._router",
    "mqttwire": "envoxy.mqtt._wire",
    "zapata": "envoxy.zeromq._codec",
}


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


NO_EXTENSIONS: bool = _env_flag("ENVOXY_NO_EXTENSIONS")

_chosen: dict[str, ModuleType] = {}
_compiled: dict[str, bool] = {}


def _public_names(module: ModuleType) -> set[str]:
    return set(getattr(module, "__all__", ()))


def _select(name: str) -> ModuleType:
    base = HOT_PATHS[name]
    pure = importlib.import_module(base + "_py")
    if NO_EXTENSIONS:
        _log.debug("envoxy: %s uses the pure-Python twin (ENVOXY_NO_EXTENSIONS)", name)
        return pure
    try:
        compiled = importlib.import_module(base + "_c")
    except ImportError as exc:
        _log.debug("envoxy: %s falls back to pure Python: %s", name, exc)
        return pure
    if _public_names(compiled) != _public_names(pure):
        _log.debug(
            "envoxy: %s falls back to pure Python: compiled module exports %s, "
            "twin exports %s",
            name,
            sorted(_public_names(compiled)),
            sorted(_public_names(pure)),
        )
        return pure
    return compiled


def load(name: str) -> ModuleType:
    """Return the implementation module chosen for hot path ``name`` (cached)."""
    module = _chosen.get(name)
    if module is None:
        module = _select(name)
        _chosen[name] = module
        _compiled[name] = module.__name__.endswith("_c")
    return module


def extension_status() -> dict[str, bool]:
    """Map each hot path to whether its compiled module is the one in use."""
    for name in HOT_PATHS:
        load(name)
    return {name: _compiled[name] for name in HOT_PATHS}
