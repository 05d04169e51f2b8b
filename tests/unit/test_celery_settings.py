"""celeryc settings from envoxy.json: broker URL, TLS, backend, routes, JSON only."""

from __future__ import annotations

import pytest

from envoxy.celery.client import broker_url, celery_settings
from envoxy.exceptions import ConfigError

SERVER = {
    "user": "svc@corp",
    "passwd": "p:a/ss@",
    "host": "rabbit",
    "port": "5672",
    "vhost": "jobs",
}


def test_broker_url_escapes_and_picks_the_scheme() -> None:
    assert broker_url("m", SERVER) == "amqp://svc%40corp:p%3Aa%2Fss%40@rabbit:5672/jobs"
    tls = broker_url(
        "m", {**SERVER, "port": None, "cert_path": "/ca.pem", "vhost": "/"}
    )
    assert tls.startswith("amqps://") and tls.endswith("@rabbit:5671/%2F")
    # upstream defaulted to amqps unless cert_path was present and falsy
    assert broker_url("m", {"user": "u", "host": "h"}).startswith("amqp://")


def test_settings() -> None:
    settings = celery_settings(
        {
            "amqp_servers": {"main": SERVER, "other": {"user": "o", "host": "h2"}},
            "redis_servers": {
                "celery": {"bind": "cache:6380", "db": 2, "passwd": "s3cr@t"}
            },
            "task_modules": ["svc.jobs"],
            "default_task_queue": "svc",
        }
    )
    assert settings["broker_url"].startswith("amqp://svc%40corp")
    assert settings["result_backend"] == "redis://:s3cr%40t@cache:6380/2"
    assert settings["accept_content"] == ["json"]
    assert settings["task_serializer"] == settings["result_serializer"] == "json"
    assert settings["include"] == ["svc.jobs"]
    assert settings["task_routes"] == {"svc.jobs.*": {"queue": "svc"}}
    assert settings["broker_connection_max_retries"] == 10
    assert celery_settings(
        {"amqp_servers": {"main": SERVER, "other": {"user": "o", "host": "h2"}}},
        "other",
    )["broker_url"].endswith("@h2:5672/%2F")


@pytest.mark.parametrize(
    ("config", "key", "message"),
    [
        ({}, None, "Error to find AMQP Servers config"),
        ({"amqp_servers": {"m": SERVER}}, "nope", "amqp server key: 'nope'"),
        ({"amqp_servers": {"m": {"host": "h"}}}, None, "lacks user"),
        (
            {"amqp_servers": {"m": {**SERVER, "port": "x"}}},
            None,
            "port must be a number",
        ),
    ],
)
def test_bad_config(config: dict, key: str | None, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        celery_settings(config, key)


def test_mongodb_celery_is_the_beat_schedulers_store_as_upstream() -> None:
    settings = celery_settings(
        {
            "amqp_servers": {"main": SERVER},
            "mongodb_servers": {
                "celery": {
                    "user": "beat",
                    "passwd": "p@ss",
                    "host": "mongo",
                    "port": "27018",
                    "db": "schedules",
                },
                "reports": {"host": "elsewhere"},  # the service's own: untouched
            },
        }
    )
    assert settings["mongodb_scheduler_db"] == "schedules"
    assert (
        settings["mongodb_scheduler_url"]
        == "mongodb://beat:p%40ss@mongo:27018/schedules"
    )
    with pytest.raises(ConfigError, match=r"mongodb_servers\.celery lacks db"):
        celery_settings(
            {
                "amqp_servers": {"main": SERVER},
                "mongodb_servers": {"celery": {"host": "m"}},
            }
        )
