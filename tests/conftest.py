"""Shared fixtures: one per integration service, skipping (or failing under CI)
when the service is not listening."""

from __future__ import annotations

import os
from typing import Any

import pytest

from envoxy import _speedups
from tests.services import SERVICES, Service, reachable

IN_CI = bool(os.environ.get("CI"))


def pytest_report_header(config: pytest.Config) -> str:
    status = _speedups.extension_status()
    shown = ", ".join(
        f"{name}={'compiled' if c else 'pure'}" for name, c in status.items()
    )
    flag = " (ENVOXY_NO_EXTENSIONS)" if _speedups.NO_EXTENSIONS else ""
    return f"envoxy hot paths: {shown}{flag}"


def require_service(name: str) -> Service:
    """The service, or a skip (a failure when ``CI`` is set) if it is down."""
    service = SERVICES[name]
    if not reachable(service):
        reason = (
            f"{name} is not listening on {service.address}; "
            f"start it with: {service.hint}"
        )
        if IN_CI:
            pytest.fail(f"CI requires {reason}")
        pytest.skip(reason)
    return service


def _service_fixture(name: str) -> Any:
    @pytest.fixture(scope="session", name=f"{name}_service")
    def fixture() -> Service:
        return require_service(name)

    fixture.__doc__ = f"The {name} service on loopback (skip, or fail under CI)."
    return fixture


postgres_service = _service_fixture("postgres")
redis_service = _service_fixture("redis")
mosquitto_service = _service_fixture("mosquitto")
rabbitmq_service = _service_fixture("rabbitmq")
couchdb_service = _service_fixture("couchdb")
clickhouse_service = _service_fixture("clickhouse")


# Hypothesis: no wall-clock deadline (shared, noisy machines); the impl fixture
# is function-scoped but constant across examples.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "envoxy",
    deadline=None,
    max_examples=int(os.environ.get("ENVOXY_HYPOTHESIS_EXAMPLES", "200")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("envoxy")
