"""The connector registry, the retry helper and the config keys they own."""

from __future__ import annotations

import importlib
import time
from typing import Any

import pytest

from envoxy import connectors
from envoxy.exceptions import ConfigError
from envoxy.utils.config import Config
from envoxy.utils.config_schema import KNOWN_KEYS
from envoxy.utils.retry import retry


def test_every_section_has_its_connector() -> None:
    for section, (module_name, client_module) in connectors.REGISTRY.items():
        found = importlib.import_module(module_name).CONNECTOR
        assert isinstance(found, connectors.Connector)
        assert found.name == section
        assert section in KNOWN_KEYS
        importlib.import_module(client_module)  # the client it watches exists


@pytest.mark.parametrize(
    ("variable", "dotted", "value"),
    [
        ("ENVOXY_AUTH__JWT__SECRET", ("auth", "jwt", "secret"), "s3cret-value"),
        ("ENVOXY_HEALTH__OPTIONAL", ("health", "optional"), ["redis_servers.cache"]),
        ("ENVOXY_ENVOXYD__DRAIN_SECONDS", ("envoxyd", "drain_seconds"), 5),
        ("ENVOXY_MQTT_WORKERS__QUEUE", ("mqtt_workers", "queue"), 64),
    ],
)
def test_overrides_reach_keys_the_file_does_not_have(
    variable: str, dotted: tuple[str, ...], value: Any
) -> None:
    """13: ENVOXY_AUTH__JWT__SECRET was ignored unless envoxy.json had an
    ``auth`` key (KNOWN_KEYS was a hand list without it)."""
    raw = value if isinstance(value, str) else __import__("json").dumps(value)
    try:
        node: Any = Config.configure(environ={variable: raw})
        for part in dotted:
            node = node[part]
        assert node == value
    finally:
        Config.reset()


def test_parse_all_names_the_bad_entry() -> None:
    with pytest.raises(ConfigError, match=r"redis_servers\.main"):
        connectors.parse_all({"redis_servers": {"main": {"port": "x"}}})
    with pytest.raises(ConfigError, match=r"mqtt_workers\.queue"):
        connectors.parse_all(
            {
                "mqtt_servers": {"m": {"bind": "mqtt://127.0.0.1:1883"}},
                "mqtt_workers": {"queue": 0},
            }
        )
    connectors.parse_all({"psql_servers": {"default": "main"}})  # an alias: skipped


def test_a_failing_close_never_skips_the_others(caplog: Any) -> None:
    closed: list[str] = []

    class Bad(connectors.Connector):
        name = "bad"

        def close(self, deadline: float) -> None:
            raise RuntimeError("boom")

    class Good(connectors.Connector):
        name = "good"

        def close(self, deadline: float) -> None:
            closed.append(self.name)

    import sys
    import types

    modules = {"envoxy._test_bad": Bad(), "envoxy._test_good": Good()}
    saved = dict(connectors.REGISTRY)
    try:
        for name, found in modules.items():
            module = types.ModuleType(name)
            module.CONNECTOR = found  # type: ignore[attr-defined]
            sys.modules[name] = module
        connectors.REGISTRY.clear()
        connectors.REGISTRY.update(
            {
                "good": ("envoxy._test_good", "envoxy._test_good"),
                "bad": ("envoxy._test_bad", "envoxy._test_bad"),
            }
        )
        connectors.close_all()  # newest first: bad, then good
        assert closed == ["good"]
    finally:
        connectors.REGISTRY.clear()
        connectors.REGISTRY.update(saved)
        for name in modules:
            sys.modules.pop(name, None)


class Flaky:
    def __init__(self, failures: int, error: type[BaseException] = OSError) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error(f"failure {self.calls}")
        return "done"


def test_retry_is_bounded_and_doubles_its_pause() -> None:
    pauses: list[float] = []
    flaky = Flaky(2)
    assert (
        retry(flaky, 2, retry_on=OSError, backoff_s=0.1, sleep=pauses.append) == "done"
    )
    assert flaky.calls == 3 and pauses == [0.1, 0.2]
    always = Flaky(10)
    with pytest.raises(OSError, match="failure 3"):
        retry(always, 2, retry_on=OSError, sleep=pauses.append)
    assert always.calls == 3


def test_retry_caps_the_pause_and_retries_only_what_it_is_told() -> None:
    pauses: list[float] = []
    retry(
        Flaky(4),
        4,
        retry_on=OSError,
        backoff_s=1,
        max_backoff_s=2.5,
        sleep=pauses.append,
    )
    assert pauses == [1, 2, 2.5, 2.5]
    other = Flaky(1, KeyError)
    with pytest.raises(KeyError):
        retry(other, 5, retry_on=OSError, sleep=pauses.append)
    assert other.calls == 1


def test_retry_never_sleeps_past_its_deadline() -> None:
    pauses: list[float] = []
    flaky = Flaky(10)
    with pytest.raises(OSError):
        retry(
            flaky,
            9,
            retry_on=OSError,
            backoff_s=1,
            deadline=time.monotonic() + 1.5,
            sleep=pauses.append,
        )
    assert pauses == [1]  # the next pause (2 s) would end past the deadline
    assert flaky.calls == 2
