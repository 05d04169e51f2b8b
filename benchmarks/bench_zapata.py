"""Zapata envelope: build + encode and decode + post-process; compiled vs pure
vs the straightforward Python way (dict, uuid4, strftime, orjson)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import orjson
import pytest

from envoxy.zeromq import _codec_c, _codec_py

RESOURCE = "/v3/data-layer/cards"
PARAMS = {"page_size": 25, "owner": "8f14e45f-ceea-467f-a0e6-7a3cba8e1f3d"}
HEADERS = [("X-Custom", "1"), ("Authorization", "Bearer abc.def.ghi")]
REPLY = orjson.dumps(
    {
        "status": 200,
        "resource": RESOURCE,
        "headers": {"Content-Type": "application/json", "X-Cid": str(uuid.uuid4())},
        "payload": {
            "elements": [
                {"id": str(uuid.uuid4()), "name": f"card {i}", "balance": i * 1.5}
                for i in range(10)
            ],
            "size": 10,
        },
        "protocol": "ZPT/1.0",
        "performative": 7,
    }
)


def straightforward_encode() -> bytes:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"
    headers = {
        "Accept": "application/json",
        "Accept-Charset": "utf-8",
        "Date": now,
        "User-Agent": "Envoxy Server",
        "X-Cid": str(uuid.uuid4()),
    }
    headers.update(dict(HEADERS))
    message = {
        "resource": RESOURCE,
        "headers": headers,
        "params": PARAMS,
        "payload": None,
        "performative": 0,
    }
    return orjson.dumps(message)


def straightforward_decode() -> dict[str, Any]:
    reply = orjson.loads(REPLY)
    reply["headers"].pop("X-Cid", None)
    reply.pop("protocol", None)
    reply.pop("performative", None)
    return reply  # type: ignore[no-any-return]


@pytest.mark.parametrize("impl", ["c", "py", "straightforward"])
def test_encode(benchmark: Any, impl: str) -> None:
    benchmark.group = "zapata-encode"
    if impl == "straightforward":
        body = benchmark(straightforward_encode)
    else:
        codec = _codec_c if impl == "c" else _codec_py
        body = benchmark(codec.encode_request, RESOURCE, 0, PARAMS, None, HEADERS)
    assert orjson.loads(body)["headers"]["X-Custom"] == "1"


@pytest.mark.parametrize("impl", ["c", "py", "straightforward"])
def test_decode(benchmark: Any, impl: str) -> None:
    benchmark.group = "zapata-decode"
    if impl == "straightforward":
        reply = benchmark(straightforward_decode)
    else:
        codec = _codec_c if impl == "c" else _codec_py
        reply = benchmark(codec.decode_reply, REPLY)
    assert "protocol" not in reply and reply["payload"]["size"] == 10
