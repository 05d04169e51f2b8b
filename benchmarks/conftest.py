"""Benchmarks run the compiled build; without it the ratios would mean nothing."""

from __future__ import annotations

import pytest

from envoxy import _speedups


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    status = _speedups.extension_status()
    if not all(status.values()):
        raise pytest.UsageError(
            f"benchmarks need the compiled hot paths, have {status}"
        )
