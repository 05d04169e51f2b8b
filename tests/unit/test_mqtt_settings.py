"""mqtt_servers entries, parsed with a real URL parser; views bound with @on."""

from __future__ import annotations

from typing import Any

import pytest

from envoxy import View, log_event, on
from envoxy.exceptions import ConfigError
from envoxy.mqtt.handlers import BoundedPool
from envoxy.mqtt.settings import parse_server
from envoxy.views.views import route_of


def test_credentials_with_colons_and_escaped_at() -> None:
    settings = parse_server("m", {"bind": "mqtt://svc:p%40ss:w0rd@broker.local:1884"})
    assert (settings.username, settings.password) == ("svc", "p@ss:w0rd")
    assert (settings.host, settings.port, settings.tls) == ("broker.local", 1884, False)
    assert settings.protocol == 5
    assert not settings.persistent


def test_tls_defaults_and_client_credentials() -> None:
    secure = parse_server(
        "m", {"bind": "mqtts://broker", "cert_path": "/ca.pem", "client_id": "svc-1"}
    )
    assert (secure.port, secure.tls, secure.cert_path, secure.persistent) == (
        8883,
        True,
        "/ca.pem",
        True,
    )
    by_credentials = parse_server(
        "m", {"bind": "mqtt://broker"}, {"client_id": "c", "access_token": "t"}
    )
    assert (by_credentials.username, by_credentials.password) == ("c", "t")
    assert parse_server("m", {"bind": "broker:1883", "protocol": "311"}).protocol == 4


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ({}, "bind must be provided"),
        ({"bind": "http://broker"}, "expected mqtt://"),
        ({"bind": "mqtt://broker", "keepalive": "soon"}, "mqtt_servers.m"),
        ({"bind": "mqtt://broker", "protocol": 3}, "expected 5 or 311"),
    ],
)
def test_bad_entries(conf: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_server("m", conf)


def test_on_stores_the_route_and_log_event_keeps_self() -> None:
    @on(endpoint="things/{id}", protocols=["mqtt"], server="broker", qos=1)
    class Things(View):
        @log_event
        def on_event(self, data: Any, **kwargs: Any) -> Any:
            return self, data, kwargs

    view = Things()
    assert route_of(view) == {
        "endpoint": "things/{id}",
        "protocols": ["mqtt"],
        "server": "broker",
        "qos": 1,
    }
    assert view.get_methods() == ["on_event"]
    assert view.on_event({"a": 1}, topic="things/7", id="7") == (
        view,
        {"a": 1},
        {"topic": "things/7", "id": "7"},
    )


def test_bounded_pool_runs_everything_and_shuts_down() -> None:
    pool = BoundedPool(workers=2, queue=2)
    done: list[int] = []
    for n in range(20):
        assert pool.submit(done.append, n)
    pool.shutdown(wait=True)
    assert sorted(done) == list(range(20))
    assert not pool.submit(done.append, 99)


def test_outbox_reconnect_and_session_defaults() -> None:
    plain = parse_server("b", {"bind": "mqtt://h:1883"})
    assert (plain.outbox, plain.reconnect_max_delay, plain.session_expiry) == (
        100,
        5.0,
        120,  # a process's own MQTT 5 session: gone two minutes after it dies
    )
    fixed = parse_server("b", {"bind": "mqtt://h", "client_id": "svc-1"})
    assert fixed.persistent and fixed.session_expiry == 3600
    tuned = parse_server(
        "b", {"bind": "mqtt://h", "outbox": "0", "reconnect_max_delay": 2}
    )
    assert (tuned.outbox, tuned.reconnect_max_delay) == (0, 2.0)


@pytest.mark.parametrize(
    "bad", [{"outbox": -1}, {"reconnect_max_delay": 0}, {"outbox": "many"}]
)
def test_bad_outbox_or_reconnect_settings_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=r"mqtt_servers\.b"):
        parse_server("b", {"bind": "mqtt://h", **bad})
