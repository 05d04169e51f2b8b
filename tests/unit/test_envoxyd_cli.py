"""envoxyd's uWSGI command line: defaults, and where the router meets the workers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

envoxyd_cli = pytest.importorskip("envoxyd.cli", reason="envoxyd is not installed")
router_socket = pytest.importorskip("envoxyd.router_socket")


def flag_value(arguments: list[str], flag: str) -> str | None:
    return arguments[arguments.index(flag) + 1] if flag in arguments else None


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setattr(router_socket.tempfile, "gettempdir", lambda: str(tmp_path))
    return tmp_path


def socket_folder(arguments: list[str]) -> Path:
    path = flag_value(arguments, "--socket")
    assert path is not None, arguments
    return Path(path).parent


def test_http_router_gets_a_unix_socket_in_a_new_private_folder(
    private_tmp: Path,
) -> None:
    arguments = envoxyd_cli.build_arguments(["--http", ":8080"], name="7")
    folder = socket_folder(arguments)
    assert folder.parent == private_tmp and folder.name.startswith("envoxyd-")
    assert flag_value(arguments, "--socket") == str(folder / "envoxyd-7.sock")
    assert folder.stat().st_mode & 0o777 == 0o700
    assert folder.stat().st_uid == os.getuid()
    # the master removes the socket, then the folder, at exit (no shell)
    hooks = [
        arguments[i + 1]
        for i, flag in enumerate(arguments)
        if flag == "--hook-as-user-atexit"
    ]
    assert hooks == [f"unlink:{folder / 'envoxyd-7.sock'}", f"call:rmdir {folder}"]
    again = socket_folder(envoxyd_cli.build_arguments(["--http", ":8080"], name="7"))
    assert again != folder  # every run its own folder


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
    assert "--hook-as-user-atexit" not in arguments


def test_a_planted_folder_is_never_used(private_tmp: Path) -> None:
    """Issue 12.1: a folder someone else made (here: open to all, as an
    attacker's would be) used to make envoxyd fall back to uWSGI's TCP port."""
    planted = private_tmp / f"envoxyd-{os.getuid()}"
    planted.mkdir()
    planted.chmod(0o777)
    arguments = envoxyd_cli.build_arguments(["--http", ":8080"], name="7")
    folder = socket_folder(arguments)
    assert folder != planted and folder.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("mode", [0o755, 0o777])
def test_a_runtime_dir_others_can_enter_is_passed_over(
    private_tmp: Path, monkeypatch: pytest.MonkeyPatch, mode: int
) -> None:
    runtime = private_tmp / "run"
    runtime.mkdir()
    runtime.chmod(mode)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    folder = socket_folder(envoxyd_cli.build_arguments(["--http", ":80"], name="7"))
    assert folder.parent == private_tmp  # the temp dir, in a folder of its own


def test_a_private_runtime_dir_is_preferred(
    private_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = private_tmp / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    folder = socket_folder(envoxyd_cli.build_arguments(["--http", ":80"], name="7"))
    assert folder.parent == runtime


def test_a_symlinked_runtime_dir_is_passed_over(
    private_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = private_tmp / "elsewhere"
    target.mkdir(mode=0o700)
    (private_tmp / "run").symlink_to(target)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(private_tmp / "run"))
    folder = socket_folder(envoxyd_cli.build_arguments(["--http", ":80"], name="7"))
    assert folder.parent == private_tmp


def test_no_usable_folder_refuses_to_start_instead_of_opening_a_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / ("d" * 100)  # every socket path there is over 107 bytes
    deep.mkdir(mode=0o700)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setattr(router_socket.tempfile, "gettempdir", lambda: str(deep))
    with pytest.raises(router_socket.RouterSocketError, match="--socket PATH"):
        envoxyd_cli.build_arguments(["--http", ":80"], name="7")
    assert list(deep.iterdir()) == []  # nothing left behind
    missing = tmp_path / "missing"
    monkeypatch.setattr(router_socket.tempfile, "gettempdir", lambda: str(missing))
    with pytest.raises(router_socket.RouterSocketError, match="missing"):
        envoxyd_cli.build_arguments(["--http", ":80"], name="7")


def test_defaults_yield_to_the_users_flags() -> None:
    arguments = envoxyd_cli.build_arguments(
        ["--http-socket", ":80", "--processes", "5"]
    )
    assert flag_value(arguments, "--processes") == "5"
    assert arguments.count("--processes") == 1
    assert flag_value(arguments, "--module") == envoxyd_cli.APP_MODULE
    app = envoxyd_cli.build_arguments(["--http-socket", ":80", "--wsgi-file", "a.py"])
    assert "--module" not in app


def test_optional_argument_flags_get_their_value_attached() -> None:
    """uWSGI reads ``--http-keepalive 30`` as a config file named 30."""
    arguments = envoxyd_cli.build_arguments(["--http-socket", ":80"])
    assert "--http-keepalive=30" in arguments and "30" not in arguments
    mine = envoxyd_cli.build_arguments(["--http-socket", ":80", "--http-keepalive=5"])
    assert [a for a in mine if a.startswith("--http-keepalive")] == [
        "--http-keepalive=5"
    ]
