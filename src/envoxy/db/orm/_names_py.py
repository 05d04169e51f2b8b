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
def _is_clean(text: str) -> cython.bint:
    if cython.compiled:
        ch: cython.Py_UCS4
        for ch in text:
            # PERF(names): a C loop instead of a regex for the common clean name.
            if not ("a" <= ch <= "z" or "0" <= ch <= "9" or ch == "_"):
                return False
        return True
    else:
        return _CLEAN.fullmatch(text) is not None


@cython.cfunc
def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[
        :HASH_LENGTH
    ]


@cython.annotation_typing(False)
def sanitize(text: str) -> str:
    """Lower case with every character outside ``[a-z0-9_]`` replaced by ``_``."""
    if _is_clean(text):
        return text
    return _DIRTY.sub("_", text.lower())


@cython.cfunc
def _finish(full: str, limit: cython.Py_ssize_t) -> str:
    clean = full if _is_clean(full) else _DIRTY.sub("_", full.lower())
    if clean is full and len(full) <= limit:
        return full
    head: cython.Py_ssize_t = limit - HASH_LENGTH - 1
    if len(clean) < head:
        head = len(clean)
    return clean[:head] + "_" + _digest(full)


@cython.annotation_typing(False)
def shorten(name: str, limit: int = MAX_IDENTIFIER) -> str:
    """``name`` made safe and at most ``limit`` characters (hash suffix when needed)."""
    return _finish(name, limit)


@cython.annotation_typing(False)
def deprefix(table: str, prefix: str) -> str:
    """``table`` without the service's table prefix (``aux_orders`` -> ``orders``)."""
    if prefix and table.startswith(prefix) and len(table) > len(prefix):
        return table[len(prefix) :]
    return table


@cython.annotation_typing(False)
def constraint_name(kind: str, table: str, parts: Sequence[str], prefix: str) -> str:
    """``<prefix><kind>_<table>[_<parts...>]``, e.g. ``aux_idx_products_sku``."""
    full = prefix + kind + "_" + deprefix(table, prefix)
    if parts:
        full = full + "_" + "_".join(parts)
    return _finish(full, MAX_IDENTIFIER)


@cython.annotation_typing(False)
def fk_name(table: str, columns: Sequence[str], ref_table: str, prefix: str) -> str:
    """``<prefix>fk_<table>_<columns>_to_<referenced table>``."""
    full = prefix + "fk_" + deprefix(table, prefix)
    if columns:
        full = full + "_" + "_".join(columns)
    full = full + "_to_" + deprefix(ref_table, prefix)
    return _finish(full, MAX_IDENTIFIER)


@cython.annotation_typing(False)
def check_name(table: str, expression: str, prefix: str) -> str:
    """``<prefix>ck_<table>_<8 hex of the expression's SHA-1>``."""
    full = prefix + "ck_" + deprefix(table, prefix) + "_" + _digest(expression or "ck")
    return _finish(full, MAX_IDENTIFIER)


@cython.annotation_typing(False)
def prefix_fk_spec(spec: str, prefix: str) -> str:
    """``"users.id"`` -> ``"aux_users.id"``; prefixed, bare ``aux_`` or
    schema-qualified targets are left alone."""
    if spec.count(".") != 1:
        return spec
    table, _, column = spec.partition(".")
    if table.startswith(prefix) or table.startswith("aux_"):
        return spec
    return prefix + table + "." + column
