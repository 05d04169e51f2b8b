"""Shared fixtures: one per integration service, skipping (or failing under CI)
when the service is not listening."""

from __future__ import annotations

import os

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


@pytest.fixture(scope="session")
def postgres_service() -> Service:
    return require_service("postgres")


@pytest.fixture(scope="session")
def redis_service() -> Service:
    return require_service("redis")


@pytest.fixture(scope="session")
def mosquitto_service() -> Service:
    return require_service("mosquitto")


@pytest.fixture(scope="session")
def rabbitmq_service() -> Service:
    return require_service("rabbitmq")


@pytest.fixture(scope="session")
def couchdb_service() -> Service:
    return require_service("couchdb")


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
