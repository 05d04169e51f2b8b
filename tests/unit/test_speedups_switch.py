"""The switch: flag parsing, fallback when a compiled module is missing or differs."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from envoxy import _speedups


@pytest.fixture
def fake_hot_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(_speedups.HOT_PATHS, "fake", "fakehot")
    monkeypatch.setattr(_speedups, "NO_EXTENSIONS", False)
    (tmp_path / "fakehot_py.py").write_text(
        '__all__ = ["run"]\ndef run():\n    return "py"\n'
    )
    yield tmp_path
    _speedups._chosen.pop("fake", None)
    _speedups._compiled.pop("fake", None)
    for name in ("fakehot_py", "fakehot_c"):
        sys.modules.pop(name, None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        ("on", True),
        ("0", False),
        ("", False),
        ("no", False),
    ],
)
def test_flag_values(monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool) -> None:
    monkeypatch.setenv("ENVOXY_TEST_FLAG", raw)
    assert _speedups._env_flag("ENVOXY_TEST_FLAG") is expected


def test_missing_compiled_module_falls_back_with_a_debug_line(
    fake_hot_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="envoxy.speedups"):
        module = _speedups.load("fake")
    assert module.run() == "py"
    assert _speedups.extension_status()["fake"] is False
    assert any("falls back" in record.message for record in caplog.records)


def test_compiled_module_with_other_names_is_not_used(
    fake_hot_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (fake_hot_path / "fakehot_c.py").write_text(
        '__all__ = ["run", "extra"]\ndef run():\n    return "c"\n'
    )
    with caplog.at_level(logging.DEBUG, logger="envoxy.speedups"):
        assert _speedups.load("fake").run() == "py"
    assert any("exports" in record.message for record in caplog.records)


def test_matching_compiled_module_is_used(fake_hot_path: Path) -> None:
    (fake_hot_path / "fakehot_c.py").write_text(
        '__all__ = ["run"]\ndef run():\n    return "c"\n'
    )
    assert _speedups.load("fake").run() == "c"
    assert _speedups.extension_status()["fake"] is True


def test_status_reports_every_hot_path() -> None:
    assert set(_speedups.extension_status()) >= {"encoder"}
