"""The markers say what they select (tests/conftest.py applies them from a
test's folder and fixtures): ``-m unit`` is only the pure-logic folders,
``-m "not slow"`` runs no envoxyd, ``-m postgresql`` only what needs it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SLOW = True  # three collections of the whole suite


def _collected(expression: str) -> list[str]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-m",
            expression,
            "tests",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return [line for line in done.stdout.splitlines() if "::" in line]


def _imports_daemon(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "tests.daemon":
            if any(alias.name == "Daemon" for alias in node.names):
                return True
    return False


def test_unit_is_the_pure_logic_folders_and_nothing_else() -> None:
    unit = _collected("unit")
    assert unit and all(n.startswith(("tests/unit/", "tests/speedups/")) for n in unit)
    assert any(n.startswith("tests/speedups/") for n in unit)


def test_not_slow_starts_no_daemon_and_services_select_their_tests() -> None:
    fast = _collected("not slow")
    daemon_modules = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").rglob("test_*.py")
        if _imports_daemon(path)
    }
    assert daemon_modules
    assert not [n for n in fast if n.split("::")[0] in daemon_modules]
    postgres = _collected("postgresql")
    assert postgres and {n.split("::")[0] for n in postgres} >= {
        "tests/integration/test_pgsqlc.py"
    }
    assert all(
        n.startswith(("tests/integration/", "tests/contracts/")) for n in postgres
    )
