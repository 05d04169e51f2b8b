"""Payloads shared by the benchmarks, and the peers they are compared with."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal
from typing import Any

import orjson

UTC = dt.UTC


def mixed_records(count: int = 50, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` records, each with two datetimes (naive and UTC), a Decimal, a
    UUID and a nested dict: the shape of a typical data-layer page."""
    rng = random.Random(seed)
    base = dt.datetime(2025, 1, 2, 3, 4, 5)
    records = []
    for i in range(count):
        created = base + dt.timedelta(
            seconds=rng.randrange(10**8), microseconds=rng.randrange(10**6)
        )
        records.append(
            {
                "id": i,
                "name": f"device-{i}",
                "created": created,
                "updated": (created + dt.timedelta(hours=rng.randrange(1000))).replace(
                    tzinfo=UTC
                ),
                "price": Decimal(f"{rng.randrange(100000)}.{rng.randrange(100):02d}"),
                "uid": uuid.UUID(int=rng.getrandbits(128), version=4),
                "active": bool(i % 2),
                "meta": {"tags": ["a", "b"], "score": rng.random(), "owner": None},
            }
        )
    return records


def straightforward_default(obj: Any) -> Any:
    """The obvious orjson ``default`` hook: strftime for datetimes, float(Decimal)."""
    if isinstance(obj, dt.datetime):
        if obj.tzinfo is not None:
            obj = obj.astimezone(UTC)
        return obj.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"
    if isinstance(obj, dt.date):
        return obj.isoformat()
    if isinstance(obj, Decimal):
        return float(obj)
    if isinstance(
        obj, uuid.UUID
    ):  # orjson encodes UUIDs itself; stdlib json needs this
        return str(obj)
    raise TypeError(f"Type is not JSON serializable: {type(obj).__name__}")


def straightforward_dumps(obj: Any) -> bytes:
    return orjson.dumps(
        obj, default=straightforward_default, option=orjson.OPT_PASSTHROUGH_DATETIME
    )


def as_json_types(obj: Any) -> Any:
    """The same data already converted to plain JSON types (the encoder's limit)."""
    return orjson.loads(straightforward_dumps(obj))
