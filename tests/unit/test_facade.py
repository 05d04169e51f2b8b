"""``import envoxy`` is quiet, light and gives exactly its ``__all__``."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import envoxy


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    import os

    environment = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        check=False,
    )


def test_star_import_is_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from envoxy import *", namespace)  # noqa: S102 - the point of the test
    namespace.pop("__builtins__")
    assert set(namespace) == set(envoxy.__all__)
    assert "datetime" not in namespace  # upstream shadowed the stdlib module


def test_documented_names_are_present() -> None:
    for name in (
        "Config",
        "Log",
        "log",
        "Performative",
        "Response",
        "ValidationException",
    ):
        assert name in envoxy.__all__


def test_import_prints_nothing_connects_nothing_and_stays_light() -> None:
    result = run_python(
        """
        import socket, sys
        def refuse(*args, **kwargs):
            raise SystemExit("envoxy tried to open a connection at import")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        import envoxy
        from envoxy import *
        banned = {"flask", "zmq", "paho", "sqlalchemy", "psycopg2", "redis", "celery",
                  "clickhouse_connect"}
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in banned)
        if heavy:
            raise SystemExit(f"heavy modules imported: {heavy}")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == ""


def test_import_without_extensions_falls_back_quietly() -> None:
    result = run_python(
        "import envoxy; print(envoxy.extension_status())", ENVOXY_NO_EXTENSIONS="1"
    )
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip()
        == "{'encoder': False, 'names': False, 'router': False, 'mqttwire': False, "
        "'zapata': False}"
    )
    assert result.stderr == ""
