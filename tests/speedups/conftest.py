"""The ``impl`` fixture: every parity test runs once per build, ``c`` and ``py``.

``impl.<hot path>`` is that build's module (``impl.encoder`` ...). A missing
compiled module is an error, not a skip, unless ENVOXY_NO_EXTENSIONS is set.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

from envoxy import _speedups


class Implementation:
    def __init__(self, suffix: str) -> None:
        self.suffix = suffix

    def __getattr__(self, hot_path: str) -> ModuleType:
        if hot_path not in _speedups.HOT_PATHS:
            raise AttributeError(hot_path)
        return importlib.import_module(f"{_speedups.HOT_PATHS[hot_path]}_{self.suffix}")

    def __repr__(self) -> str:
        return f"<impl {self.suffix}>"


@pytest.fixture(params=["c", "py"])
def impl(request: pytest.FixtureRequest) -> Implementation:
    if request.param == "c" and _speedups.NO_EXTENSIONS:
        pytest.skip("ENVOXY_NO_EXTENSIONS is set: the pure build is under test")
    chosen = Implementation(request.param)
    if request.param == "c":
        for hot_path, base in _speedups.HOT_PATHS.items():
            try:
                importlib.import_module(base + "_c")
            except ImportError as exc:
                pytest.fail(f"compiled {hot_path} module is missing: {exc}")
    return chosen


@pytest.fixture(scope="session")
def both() -> tuple[Implementation, Implementation]:
    """(compiled, pure), for tests that compare the two builds directly."""
    if _speedups.NO_EXTENSIONS:
        pytest.skip("ENVOXY_NO_EXTENSIONS is set: no compiled build to compare")
    return Implementation("c"), Implementation("py")
