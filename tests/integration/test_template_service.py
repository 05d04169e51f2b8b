"""examples/template_service works as its README says: its own in-process
tests pass, envoxyd's preflight accepts it, its migration follows the
conventions and matches its models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.daemon import ENVOXYD

SERVICE = Path(__file__).resolve().parents[2] / "examples" / "template_service"
SLOW = True


def _run(
    *command: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=SERVICE,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_its_own_tests_pass() -> None:
    done = _run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout


def test_envoxyd_accepts_it() -> None:
    assert ENVOXYD
    done = _run(ENVOXYD, "--check", "--set", "conf=envoxy.json")
    assert done.returncode == 0, done.stderr


def test_its_migration_follows_the_conventions_and_matches_the_models(
    tmp_path: Path,
) -> None:
    done = _run(
        sys.executable,
        "-m",
        "envoxy.tools.check_migrations",
        "migrations/versions",
        "--prefix",
        "aux_",
    )
    assert done.returncode == 0 and "0 problems" in done.stdout, (
        done.stdout + done.stderr
    )
    env = {
        "SERVICE_MODELS": "models",
        "SERVICE_DB_URL": f"sqlite:///{tmp_path / 'd.db'}",
    }
    alembic = [sys.executable, "-m", "envoxy.tools.alembic.alembic"]
    assert _run(*alembic, "upgrade", "head", env=env).returncode == 0
    check = _run(*alembic, "check", env=env)
    assert (
        check.returncode == 0
        and "No new upgrade operations" in check.stdout + check.stderr
    )
