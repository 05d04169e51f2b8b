"""The compiled topic router, its pure twin and paho's topic_matches_sub agree."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from paho.mqtt.client import topic_matches_sub

names = st.sampled_from(["a", "b", "c", "", "$SYS", "$x", "dev-1", "é"])
topics = st.lists(names, min_size=1, max_size=5).map("/".join)


@st.composite
def filters(draw: Any) -> str:
    levels = draw(st.lists(names | st.just("+"), min_size=1, max_size=5))
    if draw(st.booleans()):
        levels = [*levels[: draw(st.integers(0, len(levels)))], "#"]
    return "/".join(levels)


@given(filters(), topics)
@example("a/#", "a")
@example("#", "$SYS/x")
@example("+/x", "$a/x")
@example("/#", "")
@example("+", "")
@example("a/+/b", "a//b")
def test_matches_like_paho(impl: Any, pattern: str, topic: str) -> None:
    router = impl.router.Router()
    router.add(pattern, "h")
    assert bool(router.match(topic)) is topic_matches_sub(pattern, topic)


def assert_builds_agree_with_paho(
    both: Any, patterns: list[str], probe: list[str]
) -> None:
    """Both builds give the same matches for every probe, and paho agrees."""
    compiled, pure = both
    routers = [compiled.router.Router(), pure.router.Router()]
    for router in routers:
        for index, pattern in enumerate(patterns):
            router.add(pattern, index)
    for topic in probe:
        expected = sorted(
            {i for i, p in enumerate(patterns) if topic_matches_sub(p, topic)}
        )
        first, second = (r.match(topic) for r in routers)
        assert first == second
        assert sorted({handler for handler, _ in first}) == expected


@given(st.lists(filters(), max_size=30), st.lists(topics, min_size=1, max_size=10))
def test_builds_agree_on_many_filters(
    both: Any, patterns: list[str], probe: list[str]
) -> None:
    assert_builds_agree_with_paho(both, patterns, probe)


def test_variables_shares_order_and_removal(impl: Any) -> None:
    router = impl.router.Router()
    router.add("devices/{device_id}/readings/{kind:str}", "reading")
    router.add("$share/workers/devices/+/readings/#", "shared")
    router.add("devices/#", "all")
    router.add("devices/#", "all")  # the same pair once
    assert len(router) == 3
    assert router.match("devices/d1/readings/temp") == [
        ("reading", {"device_id": "d1", "kind": "temp"}),
        ("shared", {}),
        ("all", {}),
    ]
    with pytest.raises(TypeError):
        router.match("devices/d1/x")[0][1]["injected"] = (
            1  # shared params are read-only
        )
    assert router.remove("devices/#", "all") == 1
    assert router.remove("devices/#", "missing") == 0
    assert [h for h, _ in router.match("devices/d1/readings/temp")] == [
        "reading",
        "shared",
    ]
    assert router.remove("$share/workers/devices/+/readings/#") == 1
    assert len(router) == 1


@pytest.mark.parametrize(
    "pattern", ["a/#/b", "a+/b", "a/b#", "$share/g", "$share//a", "a/{1x}/b"]
)
def test_malformed_patterns(impl: Any, pattern: str) -> None:
    with pytest.raises(ValueError):
        impl.router.Router().add(pattern, "h")


def test_types_and_subclasses(impl: Any) -> None:
    class Topic(str):
        pass

    router = impl.router.Router()
    router.add(Topic("a/+"), "h")
    assert router.match(Topic("a/b")) == [("h", {})]
    with pytest.raises(TypeError):
        router.match(b"a/b")
    with pytest.raises(TypeError):
        router.add(None, "h")


wide_names = st.sampled_from(
    [f"n{i}" for i in range(30)] + ["", "a", "$x", "é", "€", "\U0001f600"]
)


@given(
    st.lists(
        st.lists(wide_names | st.just("+"), min_size=1, max_size=3).map("/".join),
        min_size=10,
        max_size=60,
    ),
    st.lists(
        st.lists(wide_names, min_size=1, max_size=3).map("/".join),
        min_size=1,
        max_size=10,
    ),
)
def test_wide_nodes_agree_with_paho(
    both: Any, patterns: list[str], probe: list[str]
) -> None:
    """Nodes with more children than the compiled build scans linearly."""
    assert_builds_agree_with_paho(both, patterns, probe)


def test_very_deep_topics(impl: Any) -> None:
    router = impl.router.Router()
    deep = "/".join(["l"] * 100)
    router.add(deep, "exact")
    router.add("l/#", "hash")
    router.add("/".join(["+"] * 99) + "/{last}", "vars")
    assert router.match(deep) == [("exact", {}), ("hash", {}), ("vars", {"last": "l"})]
    assert router.match(deep + "/x") == [("hash", {})]


def test_huge_node_finds_every_child_and_no_stranger(both: Any) -> None:
    """Thousands of children (the compiled build's hash table, with collisions
    and every string width) still find exactly their own child."""
    keys = [f"k{i}" for i in range(3000)] + ["", "é", "€x", "\U0001f600", "k"]
    probe = [f"root/{key}/leaf" for key in keys]
    probe += ["root/k3000/leaf", "root/K1/leaf", "root/k1x/leaf", "root/ék/leaf"]
    assert_builds_agree_with_paho(
        both, [f"root/{key}/leaf" for key in keys] + ["root/+/leaf"], probe
    )


def test_many_handlers_on_one_topic(impl: Any) -> None:
    """More hits than the compiled build collects in place: same answer, in
    registration order, variables bound."""
    router = impl.router.Router()
    for index in range(50):
        router.add("a/{x}/c" if index % 3 else "a/#", index)
    found = router.match("a/b/c")
    assert [handler for handler, _ in found] == list(range(50))
    assert found[1] == (1, {"x": "b"})
    assert found[0] == (0, {})


# -- typed captures (the endpoint grammar's plan), HTTP/ZeroMQ paths ---------------

path_levels = st.sampled_from(
    [
        "7",
        "007",
        "x",
        "",
        "2.5",
        "a.b",
        "٣",
        "9" * 4400,
        "7f6e8c3a-1b2c-4d5e-8f90-123456789abc",
        "7F6E8C3A-1B2C-4D5E-8F90-123456789ABC",
        "7f6e8c3a1b2c4d5e8f90123456789abc",
        "1.",
        ".5",
    ]
)
kinds = st.sampled_from(["", ":str", ":int", ":float", ":uuid"])


@st.composite
def typed_endpoints(draw: Any) -> str:
    levels = []
    for index in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            levels.append(f"{{v{index}{draw(kinds)}}}")
        else:
            levels.append(draw(st.sampled_from(["a", "b", "x"])))
    if draw(st.booleans()):
        levels.append("{rest:path}")
    return "/" + "/".join(levels)


paths = st.lists(path_levels | st.sampled_from(["a", "b"]), min_size=1, max_size=6).map(
    lambda levels: "/" + "/".join(levels)
)


_UNFIT = object()
_HAND_FLOAT = re.compile(r"[0-9]+\.[0-9]+")
_HAND_UUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


def _by_hand(kind: int, raw: str) -> Any:
    """The grammar's rules written independently of both builds."""
    if kind == 0:
        return raw
    if kind == 1:
        return raw or _UNFIT
    if kind == 2:
        fits = raw.isascii() and raw.isdigit() and len(raw) <= 4300
        return int(raw) if fits else _UNFIT
    if kind == 3:
        return float(raw) if _HAND_FLOAT.fullmatch(raw) else _UNFIT
    return uuid.UUID(raw) if _HAND_UUID.fullmatch(raw) else _UNFIT


@given(
    st.lists(typed_endpoints(), min_size=1, max_size=12), st.lists(paths, max_size=8)
)
@example(["/a/{n:int}", "/a/{rest:path}"], ["/a/7", "/a/x/y", "/a/" + "9" * 4400])
def test_builds_agree_on_typed_captures(
    both: Any, endpoints: list[str], probe: list[str]
) -> None:
    """Both builds convert the same values and drop the same non-matches;
    the result is what converting each raw capture by hand gives."""
    from envoxy.routing import parse_endpoint

    compiled, pure = both
    parsed = []
    for index, endpoint in enumerate(endpoints):
        try:
            parsed.append((index, parse_endpoint(endpoint)))
        except ValueError:
            continue  # a name used twice: refused at boot, not routed
    routers = [compiled.router.Router(), pure.router.Router()]
    for router in routers:
        for index, endpoint in parsed:
            router.add(endpoint.pattern, index, endpoint.captures)
    for path in probe:
        first, second = (r.match(path) for r in routers)
        assert first == second
        expected = []
        levels = path.split("/")
        for index, endpoint in parsed:
            if not topic_matches_sub(endpoint.pattern, path):
                continue
            values = {}
            for pos, name, kind, rest in endpoint.captures:
                raw = "/".join(levels[pos:]) if rest else levels[pos]
                values[name] = _by_hand(kind, raw)
            if _UNFIT not in values.values():
                expected.append((index, values))
        assert first == expected
