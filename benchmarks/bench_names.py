"""Constraint names: compiled hasher vs its pure twin vs the straightforward way."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

import pytest

from envoxy.db.orm import _names_c, _names_py

_DIRTY = re.compile(r"[^a-z0-9_]")

# 60 realistic inputs: mostly short clean names, some past 63 characters.
INPUTS = [
    ("idx", f"aux_shop_table_{t}", cols)
    for t in range(20)
    for cols in (
        ["sku"],
        ["owner_id", "created"],
        [
            "a_really_long_column_name_number_one",
            "a_really_long_column_name_number_two",
        ],
    )
]


def straightforward(kind: str, table: str, cols: list[str], prefix: str) -> str:
    """Sanitise with a regex every time, shorten with SHA-1 when too long."""
    if table.startswith(prefix):
        table = table[len(prefix) :]
    name = _DIRTY.sub("_", f"{prefix}{kind}_{table}_{'_'.join(cols)}".lower())
    if len(name) <= 63:
        return name
    return (
        name[:54]
        + "_"
        + hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:8]
    )


CANDIDATES: dict[str, Callable[..., str]] = {
    "c": _names_c.constraint_name,
    "py": _names_py.constraint_name,
    "straightforward": straightforward,
}


def name_all(make: Callable[..., str]) -> list[str]:
    return [make(kind, table, cols, "aux_shop_") for kind, table, cols in INPUTS]


@pytest.mark.parametrize("impl", list(CANDIDATES))
def test_names_mixed(benchmark: Any, impl: str) -> None:
    benchmark.group = "names-mixed"
    names = benchmark(name_all, CANDIDATES[impl])
    assert all(len(name) <= 63 for name in names)
