"""Credentials masked in everything envoxy prints."""

from __future__ import annotations

import pytest

from envoxy.exceptions import ConfigError, DatabaseException
from envoxy.utils.redact import redact


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("postgresql://svc:S3cret@h/db", "postgresql://svc:***@h/db"),
        ("mqtt://u:p%40ss:w0rd@broker:1883", "mqtt://u:***@broker:1883"),
        ("redis://:S3cret@h:6379/1", "redis://:***@h:6379/1"),
        ("host=h password=S3cret dbname=x", "host=h password=*** dbname=x"),
        ("{'passwd': 'S3cret', 'db': 'x'}", "{'passwd': '***', 'db': 'x'}"),
        ('{"access_token": "tok"}', '{"access_token": "***"}'),
        ("plain text, user@example.com", "plain text, user@example.com"),
        ("http://host/path@x", "http://host/path@x"),
    ],
)
def test_redact(text: str, masked: str) -> None:
    assert redact(text) == masked


def test_config_and_database_errors_are_masked() -> None:
    assert "S3cret" not in str(ConfigError("bad: postgresql://a:S3cret@h/db"))
    assert "S3cret" not in str(DatabaseException("dsn password=S3cret"))
