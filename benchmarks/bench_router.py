"""Topic matching at 10, 1,000 and 100,000 subscriptions: compiled vs pure vs paho."""

from __future__ import annotations

from typing import Any

import pytest
from paho.mqtt.matcher import MQTTMatcher

from envoxy.routing import _router_c, _router_py

TOPIC = "devices/d5/sensor/state"
SIZES = (10, 1_000, 100_000)


def patterns(count: int) -> list[str]:
    """``count`` realistic filters; the topic matches the same 4 at every size."""
    base = ["devices/d5/+/state", "devices/d5/#", "devices/+/sensor/state", "$SYS/#"]
    extra = []
    i = 0
    while len(base) + len(extra) < count:
        extra.append(
            f"tenants/t{i % 97}/devices/d{i}/+/state" if i % 2 else f"devices/x{i}/#"
        )
        i += 1
    return base + extra


def build(kind: str, count: int) -> Any:
    if kind == "paho":
        matcher = MQTTMatcher()
        for index, pattern in enumerate(patterns(count)):
            matcher[pattern] = index
        return lambda: list(matcher.iter_match(TOPIC))
    router = (_router_c if kind == "c" else _router_py).Router()
    for index, pattern in enumerate(patterns(count)):
        router.add(pattern, index)
    return lambda: router.match(TOPIC)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("impl", ["c", "py", "paho"])
def test_router(benchmark: Any, impl: str, size: int) -> None:
    benchmark.group = f"router-{size}"
    found = benchmark(build(impl, size))
    assert len(found) == 3  # $SYS/# does not match a normal topic


BUILD_SIZE = 100_000


def _handler(data: Any, topic: str) -> None:
    """What @on binds: a data-style handler."""


def _build_envoxy(found: list[str]) -> None:
    from envoxy.mqtt.handlers import BoundedPool, MessageRouter

    router = MessageRouter(BoundedPool(1, 1))
    for pattern in found:
        router.add("main", pattern, _handler)


def _build_paho(found: list[str]) -> None:
    matcher = MQTTMatcher()
    for pattern in found:
        matcher[pattern] = _handler


@pytest.mark.parametrize("impl", ["envoxy", "paho"])
def test_subscription_build(benchmark: Any, impl: str) -> None:
    """100,000 subscriptions registered: what ``mqttc.on`` and ``@on`` do per
    subscription in process (the endpoint grammar, the handler's keywords,
    the router), against filling paho's MQTTMatcher."""
    benchmark.group = f"mqtt-subscribe-{BUILD_SIZE}"
    build = _build_envoxy if impl == "envoxy" else _build_paho
    benchmark.pedantic(build, args=(patterns(BUILD_SIZE),), rounds=3, iterations=1)
