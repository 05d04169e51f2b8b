"""The compiled encoder, its pure twin and an independent stdlib-json oracle agree."""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from collections import OrderedDict
from decimal import Decimal
from enum import IntEnum
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

INT64_MIN, UINT64_MAX = -(2**63), 2**64 - 1


class Text(str):
    pass


class Mapping(dict):
    pass


class Level(IntEnum):
    LOW = 1
    HUGE = 2**70


def _as_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        return value
    return value.astimezone(dt.UTC)


def oracle(obj: Any) -> Any:
    """envoxy's type rules, written independently, as plain JSON types."""
    if obj is None or isinstance(obj, (bool, str)):
        return str(obj) if isinstance(obj, str) else obj
    if isinstance(obj, int):
        value = int(obj)
        return str(value) if value < INT64_MIN or value > UINT64_MAX else value
    if isinstance(obj, float):
        return None if math.isnan(obj) or math.isinf(obj) else obj
    if isinstance(obj, dt.datetime):
        u = _as_utc(obj)
        return (
            f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:"
            f"{u.second:02d}.{u.microsecond // 1000:03d}+0000"
        )
    if isinstance(obj, dt.date):
        return f"{obj.year:04d}-{obj.month:02d}-{obj.day:02d}"
    if isinstance(obj, Decimal):
        return oracle(float(obj))
    if isinstance(obj, uuid.UUID):
        return str(obj)
    if isinstance(obj, dict):
        return {str(k): oracle(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [oracle(v) for v in obj]
    raise AssertionError(f"oracle does not know {type(obj)}")


offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(
    lambda m: dt.timezone(dt.timedelta(minutes=m))
)
zones = st.none() | st.just(dt.UTC) | offsets
datetimes = st.datetimes(
    min_value=dt.datetime(2, 1, 1), max_value=dt.datetime(9998, 12, 31), timezones=zones
)
valid_text = st.text(st.characters(exclude_categories=["Cs"]))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**66), max_value=2**66),
    st.floats(),
    valid_text,
    valid_text.map(Text),
    datetimes,
    st.dates(),
    st.decimals(allow_nan=False, allow_infinity=True),
    st.uuids(),
    st.sampled_from(list(Level)),
)
hashables = st.one_of(st.integers(min_value=-(2**66), max_value=2**66), valid_text)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.lists(children, max_size=5).map(tuple),
        st.frozensets(hashables, max_size=5),
        st.dictionaries(valid_text, children, max_size=5),
        st.dictionaries(valid_text, children, max_size=5).map(Mapping),
    ),
    max_leaves=30,
)

# Anything at all, including inputs that must fail: both builds must fail alike.
wild = st.recursive(
    st.one_of(
        scalars,
        st.text(),
        st.binary(max_size=8),
        st.datetimes(timezones=zones),
        st.decimals(),
        st.times(),
        st.complex_numbers(allow_nan=False),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.sets(hashables, max_size=4),
        st.dictionaries(st.one_of(valid_text, st.integers()), children, max_size=4),
    ),
    max_leaves=20,
)


def outcome(encode: Any, obj: Any) -> tuple[str, Any]:
    try:
        return "ok", encode(obj)
    except Exception as exc:  # the type is the contract, not the exact text
        return "error", type(exc).__name__


@given(values)
@example(2**64)
@example(2**64 - 1)
@example(-(2**63) - 1)
@example({"a": [1, {"b": 2**80}], "c": (3, 2**90)})
@example(float("nan"))
@example(Decimal("NaN"))
@example(Decimal("-Infinity"))
@example(dt.datetime(2025, 1, 2, 3, 4, 5, 678901))
@example(
    dt.datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=dt.timezone(dt.timedelta(hours=2)))
)
@example({Text("key"): Text("value")})
def test_encoder_matches_oracle(impl: Any, obj: Any) -> None:
    assert json.loads(impl.encoder.dumps(obj)) == oracle(obj)


@given(wild)
@example("\ud800")
@example({"icon": "\udc00x"})
@example({1: "int key"})
@example({"when": dt.time(1, 2)})
@example(dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))))
@example(Decimal("sNaN"))
@example({2**70, 1})
def test_builds_agree_on_anything(both: Any, obj: Any) -> None:
    compiled, pure = both
    assert outcome(compiled.encoder.dumps, obj) == outcome(pure.encoder.dumps, obj)


def _nested(depth: int, leaf: Any) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("leaf", [1, 2**70])
def test_deep_nesting_is_a_type_error_not_a_crash(impl: Any, leaf: Any) -> None:
    assert impl.encoder.dumps(_nested(200, leaf)).startswith(b"[[[")
    with pytest.raises(TypeError, match="Recursion limit"):
        impl.encoder.dumps(_nested(5000, leaf))


def test_unknown_type_error_names_the_type(impl: Any) -> None:
    with pytest.raises(TypeError, match="complex"):
        impl.encoder.dumps({"x": 1j})


def test_subclasses_and_views(impl: Any) -> None:
    data = OrderedDict([("b", 1), ("a", Text("t"))])
    assert impl.encoder.dumps(data) == b'{"b":1,"a":"t"}'
    assert impl.encoder.dumps({"a": 1}.keys()) == b'["a"]'
    assert impl.encoder.dumps({"a": 1}.values()) == b"[1]"


def test_format_datetime_agrees(both: Any) -> None:
    compiled, pure = both
    moments = [
        dt.datetime(1, 1, 1),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
        dt.datetime(2024, 2, 29, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        dt.datetime(
            2024, 3, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))
        ),
    ]
    for moment in moments:
        assert compiled.encoder.format_datetime(moment) == pure.encoder.format_datetime(
            moment
        )


@given(st.lists(values, max_size=6), st.floats(), st.decimals(allow_nan=False))
@example([], 1e16, Decimal("0.00001"))
@example([], 1.5e-6, Decimal("-0.000"))
@example([], -1e-5, Decimal("1E+2"))
def test_a_document_with_a_big_int_is_written_in_one_pass_the_same(
    both: Any, items: list[Any], number: float, amount: Decimal
) -> None:
    """orjson refuses a big int; the compiled build then writes the whole
    document itself (floats, Decimals, datetimes, UUIDs, strings included):
    byte for byte what the pure build's rewrite and retry give."""
    compiled, pure = both
    doc = {"big": 2**70, "items": items, "n": number, "d": amount, "neg": -(2**66)}
    assert outcome(compiled.encoder.dumps, doc) == outcome(pure.encoder.dumps, doc)
