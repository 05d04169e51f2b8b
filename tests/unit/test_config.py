"""Config: parsed once; CLI > environment > file > defaults; errors name the key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from envoxy.exceptions import ConfigError
from envoxy.utils import logs
from envoxy.utils.config import Config, parse_cli_flags


@pytest.fixture(autouse=True)
def fresh_config() -> Iterator[None]:
    Config.reset()
    level = logs._state.level
    yield
    Config.reset()
    logs._state.level = level


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "envoxy.json"
    path.write_text(
        json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8"
    )
    return path


def test_file_values_and_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {"redis_servers": {"r": {"bind": "127.0.0.1:6379"}}, "custom": {"a": 1}},
    )
    Config.configure(path, environ={})
    assert Config.get("redis_servers") == {"r": {"bind": "127.0.0.1:6379"}}
    assert Config.get("custom") == {"a": 1}
    assert Config.get("log")["level"] == 4  # default
    assert Config.get("missing") == {}  # upstream's answer for an absent node
    assert Config.plugins() == {}


def test_precedence_cli_over_env_over_file(tmp_path: Path) -> None:
    path = write(tmp_path, {"log": {"level": 3}, "custom": {"x": "file", "y": "file"}})
    environ = {
        "ENVOXY_LOG__LEVEL": "6",
        "ENVOXY_CUSTOM__X": "env",
        "ENVOXY_CUSTOM__Y": "env",
    }
    Config.configure(path, cli=["custom.y=cli", "log.level=7"], environ=environ)
    assert Config.get("custom") == {"x": "env", "y": "cli"}
    assert Config.get("log")["level"] == 7
    assert logs._state.level == 7  # logging follows the config


def test_env_values_are_json_when_they_parse(tmp_path: Path) -> None:
    path = write(tmp_path, {})
    Config.configure(
        path, environ={"ENVOXY_MODULES": '["a.py"]', "ENVOXY_DEFAULT_TASK_QUEUE": "q1"}
    )
    assert Config.get("modules") == ["a.py"]
    assert Config.get("default_task_queue") == "q1"


def test_switch_variables_are_not_config(tmp_path: Path) -> None:
    path = write(tmp_path, {})
    Config.configure(
        path,
        environ={
            "ENVOXY_NO_EXTENSIONS": "1",
            "ENVOXY_SERVICE_NAMESPACE": "x",
            "ENVOXY_UNRELATED": "1",
        },
    )
    assert Config.get("no_extensions") == {}
    assert Config.get("unrelated") == {}


def test_conf_path_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, {"custom": 1})
    Config.configure(environ={"ENVOXY_CONF": str(path)})
    assert Config.get("custom") == 1


def test_parsed_once(tmp_path: Path) -> None:
    path = write(tmp_path, {"custom": 1})
    Config.set_file_path(path)
    assert Config.get("custom") == 1
    path.write_text(json.dumps({"custom": 2}), encoding="utf-8")
    assert Config.get("custom") == 1
    Config.set_file_path(path)  # an explicit re-point reloads
    assert Config.get("custom") == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"log": {"level": "loud"}}, r"'log.level': expected an integer"),
        ({"log": {"level": 12}}, r"'log.level': expected an integer from 0 to 9"),
        ({"log": {"format": "xml"}}, r"'log.format'"),
        ({"modules": "app.py"}, r"'modules': expected a list of strings"),
        ({"psql_servers": {"main": {"port": "abc"}}}, r"'psql_servers.main.port'"),
        ({"mqtt_servers": {"m": "mqtt://x"}}, r"'mqtt_servers.m': expected an object"),
        ({"modules": ["a.py"], "packages": ["b"]}, r"'modules' and 'packages'"),
        ("[1, 2]", r"top level must be a JSON object"),
        ('{"a": 1,,}', r"not valid JSON: .*line 1"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, data: Any, message: str) -> None:
    path = write(tmp_path, data)
    with pytest.raises(ConfigError, match=message):
        Config.configure(path, environ={})


def test_bad_env_value_names_the_variable(tmp_path: Path) -> None:
    path = write(tmp_path, {"log": {"level": 3}})
    with pytest.raises(ConfigError, match=r"'log\.level'"):
        Config.configure(path, environ={"ENVOXY_LOG__LEVEL": "loudest"})
    with pytest.raises(ConfigError, match="ENVOXY_LOG__LEVEL__X"):
        Config.configure(path, environ={"ENVOXY_LOG__LEVEL__X": "1"})


def test_missing_file_is_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config file not found: .*nope\.json"):
        Config.configure(tmp_path / "nope.json", environ={})


def test_psql_default_key_may_be_a_name(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {"psql_servers": {"default": "main", "main": {"host": "h", "port": "5432"}}},
    )
    Config.configure(path, environ={})
    assert Config.get("psql_servers")["default"] == "main"


def test_cli_flag_parsing() -> None:
    assert parse_cli_flags(["a.b=1", "c=text", 'd=["x"]']) == {
        "a.b": 1,
        "c": "text",
        "d": ["x"],
    }
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_cli_flags(["novalue"])


def test_no_file_gives_defaults() -> None:
    Config.configure(environ={})
    assert Config.get("log") == {"level": 4, "format": "auto"}
