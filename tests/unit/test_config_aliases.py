"""envoxyd's documented minimal config (issue 14.9): level names,
``logging``/``postgres``/``couchdb``/``mqtt`` as aliases, no silent choice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from envoxy.exceptions import ConfigError
from envoxy.utils.config import Config
from envoxy.utils.logs import level_number


@pytest.fixture(autouse=True)
def clean() -> Any:
    yield
    Config.reset()


def load(tmp_path: Path, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    path = tmp_path / "envoxy.json"
    path.write_text(json.dumps(data))
    return Config.configure(path, environ=kwargs.pop("environ", {}), **kwargs)


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("DEBUG", 7),
        ("info", 6),
        ("Warning", 4),
        ("WARN", 4),
        ("ERROR", 3),
        (5, 5),
        ("9", 9),
    ],
)
def test_level_names(value: Any, number: int) -> None:
    assert level_number(value) == number


def test_the_documented_minimal_config(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        {
            "logging": {"level": "DEBUG"},
            "postgres": {"main": {"dsn": "postgresql://svc@db/app"}},
            "couchdb": {"docs": {"url": "http://couch:5984"}},
            "mqtt": {"events": {"bind": "mqtt://broker:1883"}},
        },
    )
    assert config["log"]["level"] == "DEBUG"
    assert config["psql_servers"] == {"main": {"dsn": "postgresql://svc@db/app"}}
    assert config["couchdb_servers"] == {"docs": {"bind": "http://couch:5984"}}
    assert config["mqtt_servers"] == {"events": {"bind": "mqtt://broker:1883"}}
    from envoxy.utils import logs

    assert logs._state.level == 7


def test_an_alias_and_its_key_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'log\.level' and 'logging\.level'"):
        load(tmp_path, {"log": {"level": 3}, "logging": {"level": "DEBUG"}})
    with pytest.raises(ConfigError, match=r"'psql_servers\.main' and 'postgres\.main'"):
        load(
            tmp_path,
            {
                "psql_servers": {"main": {"url": "postgresql://a/b"}},
                "postgres": {"main": {"dsn": "postgresql://c/d"}},
            },
        )
    with pytest.raises(ConfigError, match="'logging': expected an object"):
        load(tmp_path, {"logging": "DEBUG"})
    with pytest.raises(ConfigError, match=r"'log\.level'"):
        load(tmp_path, {"logging": {"level": "LOUD"}})


def test_overrides_reach_the_aliases(tmp_path: Path) -> None:
    config = load(tmp_path, {}, environ={"ENVOXY_LOGGING__LEVEL": "ERROR"})
    assert config["log"]["level"] == "ERROR"


def test_a_process_default_sits_under_the_file(tmp_path: Path) -> None:
    daemon = {"log": {"level": 6, "output": "stdout"}}
    assert load(tmp_path, {}, defaults=daemon)["log"]["level"] == 6
    assert load(tmp_path, {"log": {"level": 3}}, defaults=daemon)["log"]["level"] == 3
    named = load(tmp_path, {"logging": {"level": "DEBUG"}}, defaults=daemon)
    assert named["log"]["level"] == "DEBUG"  # a default is not an explicit level
    with pytest.raises(ConfigError, match=r"'log\.output'"):
        load(tmp_path, {"log": {"output": "syslog"}})
