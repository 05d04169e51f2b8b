"""ENVOXY_NO_EXTENSIONS at build time gives a pure wheel that works without Cython."""

from __future__ import annotations

import os
import shutil
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
        "{'encoder': False, 'names': False, 'router': False, 'mqttwire': False, "
        "'zapata': False} "
        'b\'{"d":"2020-01-02T03:04:05.006+0000"}\''
    )


def _copy_tree(target: Path) -> Path:
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, target / name)
    for name in ("src", "csrc"):
        shutil.copytree(
            ROOT / name,
            target / name,
            ignore=shutil.ignore_patterns("*.so", "*.c", "__pycache__"),
        )
    return target


@pytest.mark.parametrize("required", [False, True])
def test_failed_compile_falls_back_unless_required(
    tmp_path: Path, required: bool
) -> None:
    pytest.importorskip("Cython", reason="the compile path needs Cython (test extra)")
    tree = _copy_tree(tmp_path)
    env = {**os.environ, "CC": "false"}  # a compiler that always fails
    env.pop("ENVOXY_NO_EXTENSIONS", None)
    if required:
        env["ENVOXY_REQUIRE_EXTENSIONS"] = "1"
    else:
        env.pop("ENVOXY_REQUIRE_EXTENSIONS", None)
    result = subprocess.run(
        [sys.executable, "setup.py", "-q", "build_ext", "--inplace"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert not list((tree / "src").rglob("*.so"))
    if required:
        assert result.returncode != 0
    else:
        assert result.returncode == 0, result.stderr
        assert "the pure-Python twin will be used" in result.stderr
