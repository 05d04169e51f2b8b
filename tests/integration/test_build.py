"""ENVOXY_NO_EXTENSIONS at build time gives a pure wheel that works without Cython."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pure_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    env = {**os.environ, "ENVOXY_NO_EXTENSIONS": "1"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        env=env,
        timeout=300,
        capture_output=True,
    )
    (wheel,) = out.glob("envoxy-*.whl")
    return wheel


def test_pure_wheel_has_no_compiled_code(pure_wheel: Path) -> None:
    assert pure_wheel.name.endswith("-py3-none-any.whl")
    names = zipfile.ZipFile(pure_wheel).namelist()
    assert not [n for n in names if n.endswith((".so", ".c", ".pyx"))]
    assert "envoxy/utils/_encoder_py.py" in names
    assert "envoxy/_cython_shim.py" in names
    assert "envoxy/py.typed" in names


def test_pure_wheel_imports_and_encodes(pure_wheel: Path, tmp_path: Path) -> None:
    zipfile.ZipFile(pure_wheel).extractall(tmp_path)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); sys.modules['cython'] = None\n"
        "import datetime, envoxy\n"
        "assert envoxy.__file__.startswith(sys.argv[1]), envoxy.__file__\n"
        "print(envoxy.extension_status(), "
        "envoxy.envoxy_json_dumps({'d': datetime.datetime(2020, 1, 2, 3, 4, 5, 6000)}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "{'encoder': False} b'{\"d\":\"2020-01-02T03:04:05.006+0000\"}'"
    )
