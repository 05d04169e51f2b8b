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


#: the marker each service fixture brings (used directly or through another fixture)
SERVICE_MARKERS = {
    "postgres_service": "postgresql",
    "redis_service": "redis",
    "couchdb_service": "couchdb",
    "mosquitto_service": "mqtt",
    "rabbitmq_service": "rabbitmq",
    "clickhouse_service": "clickhouse",
}
#: folders whose tests need no service, no daemon and no network
UNIT_FOLDERS = ("tests/unit/", "tests/speedups/")
#: folders whose tests talk to real services, real sockets or a real envoxyd
INTEGRATION_FOLDERS = ("tests/integration/", "tests/contracts/", "tests/deploy/")


def _is_slow(item: pytest.Item) -> bool:
    """A real envoxyd, a namespace or a whole fleet: seconds per test."""
    module = getattr(item, "module", None)
    return (
        module is not None
        and ("Daemon" in vars(module) or getattr(module, "SLOW", False))
    ) or item.nodeid.startswith("tests/deploy/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Markers from where a test lives and what it uses, so ``-m unit``,
    ``-m "not slow"`` or ``-m postgresql`` select what they say."""
    for item in items:
        path = item.nodeid
        if path.startswith(UNIT_FOLDERS):
            item.add_marker(pytest.mark.unit)
        elif path.startswith(INTEGRATION_FOLDERS):
            item.add_marker(pytest.mark.integration)
        fixtures = set(getattr(item, "fixturenames", ()))
        for fixture, marker in SERVICE_MARKERS.items():
            if fixture in fixtures:
                item.add_marker(getattr(pytest.mark, marker))
        if "zmq" in path.lower() or "zapata" in path.lower() or "contracts" in path:
            item.add_marker(pytest.mark.zmq)
        if _is_slow(item):
            item.add_marker(pytest.mark.slow)


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


@pytest.fixture
def systemd(tmp_path: Any) -> Any:
    """A datagram socket at ``tmp_path/notify.sock``, listening as systemd
    does on ``NOTIFY_SOCKET`` (tests.notify_socket reads it)."""
    import socket

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    sock.settimeout(0.2)
    yield sock
    sock.close()


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
