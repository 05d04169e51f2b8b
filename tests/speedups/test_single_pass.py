"""The compiled encoder's single pass writes what orjson writes.

Compiled, ``dumps`` writes a document itself (csrc/envoxy_float.h for floats,
csrc/envoxy_json.h for strings, UUIDs and the UTC shift) and only falls back
to orjson for what it does not take. These hold its pieces to orjson and to
the pure build byte for byte, at the edges where a writer of its own can go
wrong: float layout boundaries, subnormals, escapes across 8-byte words,
nesting at orjson's limit, offsets with seconds, and the cached offset.
"""

from __future__ import annotations

import datetime as dt
import struct
import subprocess
import sys
import uuid
import zoneinfo
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]


def _from_bits(bits: int) -> float:
    return float(struct.unpack("<d", struct.pack("<Q", bits))[0])


def test_powers_of_ten_header_is_generated_from_its_script() -> None:
    script = ROOT / "tools" / "codegen" / "pow10_table.py"
    done = subprocess.run([sys.executable, str(script), "--check"], check=False)
    assert done.returncode == 0, "run tools/codegen/pow10_table.py"


EDGE_FLOATS = [
    0.0, -0.0, 5e-324, 1e-323, 8e-323, 2.2250738585072014e-308,
    2.225073858507201e-308, 1.7976931348623157e308, 1e16, 1e15, 9999999999999998.0,
    9007199254740992.0, 9007199254740993.0, 0.1, 0.2, 0.30000000000000004, 1 / 3,
    1e-5, 1e-6, 1.5e-5, 0.0001, 123456789012345678.0, 1e22, 1e23, 5e-324 * 7,
    2.0**-1074 * 3, 2.0**52, 2.0**53, 2.0**63, 2.0**64, 123.45, 0.05,
]  # fmt: skip


@given(st.floats(allow_nan=False, allow_infinity=False))
@example(EDGE_FLOATS)
def test_floats_are_written_as_orjson_writes_them(both: Any, value: Any) -> None:
    compiled, _ = both
    for item in value if isinstance(value, list) else [value]:
        assert compiled.encoder.dumps(item) == orjson.dumps(item)
        assert compiled.encoder.dumps(-item) == orjson.dumps(-item)


@given(st.integers(0, 2**64 - 1))
def test_any_bit_pattern_is_written_as_orjson_writes_it(both: Any, bits: int) -> None:
    compiled, _ = both
    value = _from_bits(bits)
    assert compiled.encoder.dumps([value]) == orjson.dumps([value])


def test_every_power_of_two_and_the_smallest_subnormals(both: Any) -> None:
    compiled, _ = both
    values = [2.0**e for e in range(-1074, 1024)]
    values += [_from_bits(t) for t in range(1, 5000)]
    values += [_from_bits((1 << 52) - t) for t in range(1, 5000)]
    assert compiled.encoder.dumps(values) == orjson.dumps(values)


tricky = st.text(
    st.sampled_from(['"', "\\", "\x00", "\x1f", "\x7f", "\n", "a", "é", "€", "😀"]),
    max_size=40,
)


@given(tricky, st.integers(0, 9))
def test_escapes_at_any_offset_of_a_word(both: Any, text: str, pad: int) -> None:
    compiled, _ = both
    value = {"x" * pad + text: "y" * pad + text}
    assert compiled.encoder.dumps(value) == orjson.dumps(value)


def _nested(depth: int, leaf: Any) -> Any:
    for _ in range(depth):
        leaf = [leaf]
    return leaf


@pytest.mark.parametrize("leaf", [[], {}, 1, "s"])
def test_nesting_limit_is_orjsons(impl: Any, leaf: Any) -> None:
    # orjson takes 254 nested containers and refuses 255.
    assert impl.encoder.dumps(_nested(253, leaf)) == orjson.dumps(_nested(253, leaf))
    if isinstance(leaf, (list, dict)):
        with pytest.raises(TypeError, match="Recursion limit"):
            impl.encoder.dumps(_nested(254, leaf))


odd_offsets = st.timedeltas(
    min_value=-dt.timedelta(hours=23, minutes=59),
    max_value=dt.timedelta(hours=23, minutes=59),
).map(dt.timezone)


@given(
    st.lists(
        st.datetimes(
            min_value=dt.datetime(1, 1, 2),
            max_value=dt.datetime(9999, 12, 30),
            timezones=odd_offsets,
        ),
        max_size=6,
    )
)
@example([dt.datetime(2024, 2, 29, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))])
@example(
    [
        dt.datetime(2024, 3, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=9))),
        dt.datetime(2024, 3, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=-9))),
        dt.datetime(2024, 3, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=9))),
    ]
)
def test_offsets_with_seconds_and_alternating_zones(both: Any, moments: Any) -> None:
    # The compiled pass remembers the last fixed offset: alternating zones and
    # sub-minute offsets must still shift exactly as ``value - utcoffset()``.
    compiled, pure = both
    assert compiled.encoder.dumps(moments) == pure.encoder.dumps(moments)


def test_zone_with_daylight_saving_is_asked_each_time(both: Any) -> None:
    compiled, pure = both
    zone = zoneinfo.ZoneInfo("Europe/Lisbon")
    moments = [dt.datetime(2024, month, 15, 12, tzinfo=zone) for month in (1, 7, 1)]
    assert compiled.encoder.dumps(moments) == pure.encoder.dumps(moments)
    assert b"12:00:00.000+0000" in compiled.encoder.dumps(moments[0])
    assert b"11:00:00.000+0000" in compiled.encoder.dumps(moments[1])


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        dt.datetime(9999, 12, 31, 23, tzinfo=dt.timezone(dt.timedelta(hours=-2))),
    ],
)
def test_a_shift_out_of_range_fails_as_the_pure_build_fails(
    both: Any, moment: dt.datetime
) -> None:
    # orjson reports the hook's OverflowError as its JSONEncodeError (a TypeError)
    compiled, pure = both
    for build in (pure, compiled):
        with pytest.raises(TypeError) as caught:
            build.encoder.dumps({"at": moment})
        assert isinstance(caught.value.__cause__, OverflowError)


def test_a_page_of_records_in_one_pass(both: Any) -> None:
    compiled, pure = both
    tokyo = dt.timezone(dt.timedelta(hours=9))
    page = [
        {
            "id": i,
            "uid": uuid.UUID(int=i * 2**100 + i),
            "at": dt.datetime(2025, 1, 2, 3, 4, 5, i * 1000, tzinfo=tokyo),
            "day": dt.date(2025, 1, 1 + i),
            "price": Decimal(f"{i}.{i:02d}"),
            "ratio": i / 7,
            "tags": ("a", None, True, False, -i, 2**64 - 1, -(2**63)),
        }
        for i in range(20)
    ]
    assert compiled.encoder.dumps(page) == pure.encoder.dumps(page)


EMPTYING_ZONE = """
import datetime as dt
from envoxy.utils import _encoder_c as encoder

class Emptying(dt.tzinfo):
    def __init__(self, victim):
        self.victim = victim

    def utcoffset(self, moment):
        self.victim.clear()
        return dt.timedelta(hours=1)

page = []
page.extend([dt.datetime(2025, 1, 1, tzinfo=Emptying(page))] + [[1, 2, 3]] * 5)
record = {}
record.update({"a": dt.datetime(2025, 1, 1, tzinfo=Emptying(record)), "b": [1] * 9})
for doc in (page, record, {"w": page}):
    encoder.dumps(doc)
print("survived")
"""


def test_a_tzinfo_that_empties_the_document_does_not_crash(both: Any) -> None:
    # Python code inside the pass (a tzinfo's utcoffset) may change the very
    # containers being written: the pass holds its own references and checks
    # its index, so it writes what is left or gives up, never reads freed
    # memory. (orjson's hook path does not survive this: see docs/JSON.md.)
    done = subprocess.run(
        [sys.executable, "-c", EMPTYING_ZONE],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "survived" in done.stdout


def test_decimals_are_read_in_place_on_this_cpython(both: Any) -> None:
    # Without this, the tests below would pass on the str() fallback alone.
    compiled, _ = both
    assert compiled.encoder._probe_decimal_layout()


EDGE_DECIMALS = [
    "0", "-0", "0E+5", "-0.000", "1", "-1", "0.1", "123.45", "100", "1E+2", "1.000",
    "999999999999999", "9999999999999999", "123456789012345.6", "0.00001", "0.000001",
    "1E+15", "1E+16", "1E+307", "1E+308", "1E+309", "1E-290", "1E-291", "1E-330",
    "9999999999999999999", "10000000000000000000", "-12345678901234567890.5",
    "Infinity", "-Infinity", "NaN",
]  # fmt: skip
decimals = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.builds(
        lambda digits, exp: Decimal(digits).scaleb(exp),
        st.integers(-(10**20), 10**20),
        st.integers(-330, 330),
    ),
    st.sampled_from(EDGE_DECIMALS).map(Decimal),
)


@given(st.lists(decimals, max_size=8))
@example([Decimal(text) for text in EDGE_DECIMALS])
def test_decimals_are_written_as_their_float(both: Any, values: list[Decimal]) -> None:
    compiled, pure = both
    assert _outcome(compiled.encoder.dumps, values) == _outcome(
        pure.encoder.dumps, values
    )


def _outcome(encode: Any, obj: Any) -> tuple[str, Any]:
    try:
        return "ok", encode(obj)
    except Exception as exc:  # sNaN: both builds refuse it alike
        return "error", type(exc).__name__
