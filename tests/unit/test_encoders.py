"""envoxy_json_dumps/loads through the public module, with upstream's examples."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest

from envoxy.utils.encoders import (
    EnvoxyJsonEncoder,
    envoxy_json_dumps,
    envoxy_json_loads,
    format_api_datetime,
)

PLUS_TWO = dt.timezone(dt.timedelta(hours=2))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(2025, 1, 2, 3, 4, 5, 678901), b'"2025-01-02T03:04:05.678+0000"'),
        (
            dt.datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=PLUS_TWO),
            b'"2025-01-02T01:04:05.678+0000"',
        ),
        (
            dt.datetime(2025, 1, 1, 1, 0, tzinfo=PLUS_TWO),
            b'"2024-12-31T23:00:00.000+0000"',
        ),
        (dt.date(2025, 1, 2), b'"2025-01-02"'),
        (2**64, b'"18446744073709551616"'),
        (2**64 - 1, b"18446744073709551615"),
        (-(2**63), b"-9223372036854775808"),
        (-(2**63) - 1, b'"-9223372036854775809"'),
        ((1, 2**70), b'[1,"1180591620717411303424"]'),
        ({"a": 1}.keys(), b'["a"]'),
        (Decimal("1.10"), b"1.1"),
        (Decimal("NaN"), b"null"),
        (float("inf"), b"null"),
        (
            uuid.UUID("1f2ce823-2262-40d4-a30e-bd9f9c418806"),
            b'"1f2ce823-2262-40d4-a30e-bd9f9c418806"',
        ),
        (frozenset({3}), b"[3]"),
        ("李连杰", '"李连杰"'.encode()),
        ({"n": None, "t": True}, b'{"n":null,"t":true}'),
    ],
)
def test_type_rules(value: object, expected: bytes) -> None:
    assert envoxy_json_dumps(value) == expected


def test_big_ints_nested_in_sets_and_dicts() -> None:
    out = envoxy_json_loads(envoxy_json_dumps({"s": {2**70}, "d": {"x": [2**65, 1]}}))
    assert out == {"s": [str(2**70)], "d": {"x": [str(2**65), 1]}}


def test_unsupported_type_names_it() -> None:
    with pytest.raises(TypeError, match=r"not JSON serializable: (datetime\.)?time"):
        envoxy_json_dumps({"when": dt.time(1, 2)})


def test_non_string_keys_are_refused() -> None:
    with pytest.raises(TypeError, match="Dict key must be str"):
        envoxy_json_dumps({1: "x"})


def test_loads_is_strict() -> None:
    assert envoxy_json_loads(b'{"a":[1,2.5,"x"]}') == {"a": [1, 2.5, "x"]}
    assert envoxy_json_loads('{"a":1}') == {"a": 1}
    with pytest.raises(ValueError):
        envoxy_json_loads(b"NaN")


def test_stdlib_encoder_uses_the_same_rules() -> None:
    data = {
        "when": dt.datetime(2025, 1, 2, 3, 4, 5, 678901),
        "price": Decimal("2.5"),
        "tags": {"a"},
    }
    assert json.loads(json.dumps(data, cls=EnvoxyJsonEncoder)) == envoxy_json_loads(
        envoxy_json_dumps(data)
    )


def test_format_api_datetime() -> None:
    assert (
        format_api_datetime(dt.datetime(2020, 5, 6, 7, 8, 9, 1999))
        == "2020-05-06T07:08:09.001+0000"
    )
