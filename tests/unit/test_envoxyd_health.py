"""Readiness checks run side by side and never hold the probe past its bound."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from envoxy.connectors import Connector

health = pytest.importorskip("envoxyd.health", reason="envoxyd is not installed")


class Probe(Connector):
    """A connector whose check is the given function."""

    name = "probe"

    def __init__(self, check: Any) -> None:
        self._check = check

    def check(self, key: str, timeout: float) -> dict[str, Any]:
        return self._check(key)  # type: ignore[no-any-return]


def test_results_of_quick_checks_and_a_failing_one() -> None:
    def up(key: str) -> dict[str, Any]:
        return {"ok": True, "key": key}

    def down(key: str) -> dict[str, Any]:
        raise ConnectionRefusedError(key)

    results = health.run_checks(
        {"a.one": (Probe(up), "one"), "b.two": (Probe(down), "two")}
    )
    assert results == {
        "a.one": {"ok": True, "key": "one"},
        "b.two": {"ok": False, "error": "ConnectionRefusedError"},
    }


def test_a_hanging_check_is_a_timeout_and_is_not_started_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(health, "CHECK_TIMEOUT_S", 0.05)
    entered, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def hangs(key: str) -> dict[str, Any]:
        calls.append(key)
        entered.set()
        release.wait(30)
        return {"ok": True}

    try:
        for _ in range(3):  # three probes while the first check still hangs
            results = health.run_checks({"psql_servers.hung": (Probe(hangs), "hung")})
            assert results == {"psql_servers.hung": {"ok": False, "error": "timeout"}}
        assert entered.wait(10) and calls == ["hung"]
    finally:
        release.set()
