"""Constraint and index names for envoxy tables: the name-hasher hot path.

Reference implementation, also compiled from this very file as
``envoxy.db.orm._names_c`` (Cython pure mode); tests/speedups proves the two agree.

A name is ``<prefix><kind>_<table without prefix>_<parts>``, lower case, only
``[a-z0-9_]``, and never longer than PostgreSQL's 63 characters. When the
readable name is longer, or had characters that had to be replaced, it keeps a
head and ends in ``_`` + the first 8 hex digits of the SHA-1 of the full,
unmodified name, so distinct inputs give distinct names.
"""

from __future__ import annotations

try:
    import cython
except ModuleNotFoundError:  # pure install without Cython: same module, uncompiled
    from envoxy import _cython_shim as cython  # type: ignore[no-redef]

import hashlib
import re
from collections.abc import Sequence

__all__ = [
    "HASH_LENGTH",
    "MAX_IDENTIFIER",
    "check_name",
    "constraint_name",
    "deprefix",
    "fk_name",
    "prefix_fk_spec",
    "sanitize",
    "shorten",
]

#: PostgreSQL truncates identifiers longer than this (NAMEDATALEN - 1).
MAX_IDENTIFIER = 63
HASH_LENGTH = 8

_CLEAN = re.compile(r"[a-z0-9_]*")
_DIRTY = re.compile(r"[^a-z0-9_]")


@cython.cfunc
def _exact(value: object) -> str:
    """``value`` as an exact ``str`` (str subclasses allowed); TypeError otherwise."""
    if type(value) is str:
        return value  # type: ignore[return-value]
    if isinstance(value, str):
        return str.__str__(value)
    raise TypeError(f"expected str, got {type(value).__name__}")


@cython.cfunc
def _is_clean(text: str) -> cython.bint:
    if cython.compiled:
        ch: cython.Py_UCS4
        for ch in text:
            # PERF(names-mixed): a C loop instead of a regex for the common clean name.
            if not ("a" <= ch <= "z" or "0" <= ch <= "9" or ch == "_"):
                return False
        return True
    else:
        return _CLEAN.fullmatch(text) is not None


@cython.cfunc
def _digest(text: str) -> str:
    data = text.encode("utf-8")
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()[:HASH_LENGTH]


@cython.cfunc
def _finish(full: str, limit: cython.Py_ssize_t) -> str:
    clean: str = full if _is_clean(full) else _DIRTY.sub("_", full.lower())
    if clean is full and len(full) <= limit:
        return full
    head: cython.Py_ssize_t = limit - HASH_LENGTH - 1
    if len(clean) < head:
        head = len(clean)
    return clean[:head] + "_" + _digest(full)


@cython.cfunc
def _deprefix(table: str, prefix: str) -> str:
    if prefix and len(table) > len(prefix) and table.startswith(prefix):
        return table[len(prefix) :]
    return table


@cython.cfunc
def _joined(parts: object) -> str:
    return "_".join([_exact(part) for part in parts])  # type: ignore[attr-defined]


@cython.annotation_typing(False)
def sanitize(text: str) -> str:
    """Lower case with every character outside ``[a-z0-9_]`` replaced by ``_``."""
    exact = _exact(text)
    if _is_clean(exact):
        return exact
    return _DIRTY.sub("_", exact.lower())


@cython.annotation_typing(False)
def shorten(name: str, limit: int = MAX_IDENTIFIER) -> str:
    """``name`` made safe and at most ``limit`` characters (hash suffix when needed)."""
    return _finish(_exact(name), limit)


@cython.annotation_typing(False)
def deprefix(table: str, prefix: str) -> str:
    """``table`` without the service's table prefix (``aux_orders`` -> ``orders``)."""
    return _deprefix(_exact(table), _exact(prefix))


@cython.annotation_typing(False)
def constraint_name(kind: str, table: str, parts: Sequence[str], prefix: str) -> str:
    """``<prefix><kind>_<table>[_<parts...>]``, e.g. ``aux_idx_products_sku``."""
    pre = _exact(prefix)
    full = f"{pre}{_exact(kind)}_{_deprefix(_exact(table), pre)}"
    if parts:
        full = f"{full}_{_joined(parts)}"
    return _finish(full, MAX_IDENTIFIER)


@cython.annotation_typing(False)
def fk_name(table: str, columns: Sequence[str], ref_table: str, prefix: str) -> str:
    """``<prefix>fk_<table>_<columns>_to_<referenced table>``."""
    pre = _exact(prefix)
    full = f"{pre}fk_{_deprefix(_exact(table), pre)}"
    if columns:
        full = f"{full}_{_joined(columns)}"
    full = f"{full}_to_{_deprefix(_exact(ref_table), pre)}"
    return _finish(full, MAX_IDENTIFIER)


@cython.annotation_typing(False)
def check_name(table: str, expression: str, prefix: str) -> str:
    """``<prefix>ck_<table>_<8 hex of the expression's SHA-1>``."""
    pre = _exact(prefix)
    digest = _digest(_exact(expression) or "ck")
    return _finish(f"{pre}ck_{_deprefix(_exact(table), pre)}_{digest}", MAX_IDENTIFIER)


@cython.annotation_typing(False)
def prefix_fk_spec(spec: str, prefix: str) -> str:
    """``"users.id"`` -> ``"aux_users.id"``; prefixed, bare ``aux_`` or
    schema-qualified targets are left alone."""
    text = _exact(spec)
    pre = _exact(prefix)
    if text.count(".") != 1:
        return text
    table, _, column = text.partition(".")
    if table.startswith(pre) or table.startswith("aux_"):
        return text
    return pre + table + "." + column
