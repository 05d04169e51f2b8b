"""JSON encoding of a mixed page of records: compiled vs pure vs the obvious ways."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from benchmarks.payloads import (
    as_json_types,
    mixed_records,
    straightforward_default,
    straightforward_dumps,
)
from benchmarks.upstream.workloads import rich_records
from envoxy.utils import _encoder_c, _encoder_py

RECORDS = mixed_records()
PLAIN = as_json_types(RECORDS)


def _stdlib(obj: Any) -> bytes:
    return json.dumps(
        obj, default=straightforward_default, separators=(",", ":"), ensure_ascii=False
    ).encode()


BIG = [{"n": 2**70 + i, "m": [i, 2**65]} for i in range(50)]


@pytest.mark.parametrize("impl", ["c", "py"])
def test_encoder_bigint(benchmark: Any, impl: str) -> None:
    encode = {"c": _encoder_c.dumps, "py": _encoder_py.dumps}[impl]
    benchmark.group = "encoder-bigint"
    assert benchmark(encode, BIG).startswith(b'[{"n":"')


# Issue 16's payload (the one `make bench-upstream` measures): 3 datetimes
# (naive, UTC, +09:00), a date, 2 Decimals, nested dicts per record.
RICH = rich_records()
RICH_PLAIN = as_json_types(RICH)
RICH_BIG = [dict(record) for record in RICH]
RICH_BIG[25]["counter"] = 2**70
RICH_BIG_PLAIN = [dict(record) for record in RICH_PLAIN]
RICH_BIG_PLAIN[25]["counter"] = str(2**70)

#: group -> candidate -> (encoder, input, what its JSON must decode to)
PAGES: dict[str, dict[str, tuple[Callable[[Any], bytes], Any, Any]]] = {
    "encoder-mixed": {
        "c": (_encoder_c.dumps, RECORDS, PLAIN),
        "py": (_encoder_py.dumps, RECORDS, PLAIN),
        "orjson-pyhook": (straightforward_dumps, RECORDS, PLAIN),
        "stdlib-json": (_stdlib, RECORDS, PLAIN),
        "limit-orjson-plain": (orjson.dumps, PLAIN, PLAIN),
    },
    "encoder-rich": {
        "c": (_encoder_c.dumps, RICH, RICH_PLAIN),
        "c-one-bigint": (_encoder_c.dumps, RICH_BIG, RICH_BIG_PLAIN),
        "py": (_encoder_py.dumps, RICH, RICH_PLAIN),
        "limit-orjson-plain": (orjson.dumps, RICH_PLAIN, RICH_PLAIN),
    },
}


@pytest.mark.parametrize(
    ("group", "impl"), [(group, impl) for group in PAGES for impl in PAGES[group]]
)
def test_encoder_page(benchmark: Any, group: str, impl: str) -> None:
    encode, payload, expected = PAGES[group][impl]
    benchmark.group = group
    out = benchmark(encode, payload)
    assert orjson.loads(out) == expected
