"""envoxyd's uWSGI command line: defaults, and where the router meets the workers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

envoxyd_cli = pytest.importorskip("envoxyd.cli", reason="envoxyd is not installed")


def flag_value(arguments: list[str], flag: str) -> str | None:
    return arguments[arguments.index(flag) + 1] if flag in arguments else None


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setattr(envoxyd_cli.tempfile, "gettempdir", lambda: str(tmp_path))
    return tmp_path


def test_http_router_gets_a_private_unix_socket(private_tmp: Path) -> None:
    arguments = envoxyd_cli.build_arguments(["--http", ":8080"], name="7")
    folder = private_tmp / f"envoxyd-{os.getuid()}"
    assert flag_value(arguments, "--socket") == str(folder / "envoxyd-7.sock")
    assert "--vacuum" in arguments  # uWSGI removes it at exit
    assert folder.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize(
    "argv",
    [
        ["--http-socket", ":8080"],  # no router
        ["--http", ":8080", "--socket", "/run/app.sock"],  # the user's backend
        ["--http", ":8080", "-s", "127.0.0.1:3031"],
        ["--http", ":8080", "--http-to", "/run/app.sock"],
    ],
)
def test_no_socket_added_when_not_needed_or_already_given(
    private_tmp: Path, argv: list[str]
) -> None:
    arguments = envoxyd_cli.build_arguments(argv, name="7")
    assert arguments.count("--socket") + arguments.count("-s") == argv.count(
        "--socket"
    ) + argv.count("-s")
    assert "--vacuum" not in arguments


def test_a_folder_others_can_enter_is_not_used(private_tmp: Path) -> None:
    folder = private_tmp / f"envoxyd-{os.getuid()}"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)  # someone made it world-writable: fall back to uWSGI's TCP
    arguments = envoxyd_cli.build_arguments(["--http", ":8080"], name="7")
    assert "--socket" not in arguments


def test_a_symlinked_folder_is_not_used(private_tmp: Path) -> None:
    target = private_tmp / "elsewhere"
    target.mkdir(mode=0o700)
    (private_tmp / f"envoxyd-{os.getuid()}").symlink_to(target)
    assert "--socket" not in envoxyd_cli.build_arguments(["--http", ":80"], name="7")


def test_a_path_too_long_for_a_unix_socket_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / ("d" * 100)
    deep.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(deep))
    assert "--socket" not in envoxyd_cli.build_arguments(["--http", ":80"], name="7")


def test_defaults_yield_to_the_users_flags() -> None:
    arguments = envoxyd_cli.build_arguments(
        ["--http-socket", ":80", "--processes", "5"]
    )
    assert flag_value(arguments, "--processes") == "5"
    assert arguments.count("--processes") == 1
    assert flag_value(arguments, "--module") == envoxyd_cli.APP_MODULE
    app = envoxyd_cli.build_arguments(["--http-socket", ":80", "--wsgi-file", "a.py"])
    assert "--module" not in app
