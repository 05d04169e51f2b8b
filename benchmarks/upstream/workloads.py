"""Public-API workloads run the same way inside any envoxy install: ours or
upstream's 0.7.1 from PyPI (benchmarks/upstream/run.py runs this file in
each venv). Standalone on purpose: it imports only what both packages
export, never this repository. Prints one JSON object: microseconds per
operation (the best of several repeats)."""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
import time
from decimal import Decimal
from typing import Any

TOKYO = dt.timezone(dt.timedelta(hours=9))


def rich_records(count: int = 50, seed: int = 11) -> list[dict[str, Any]]:
    """Issue 16's payload: 50 records, each with 3 datetimes (naive, UTC,
    +09:00), a date, 2 Decimals and nested dicts."""
    rng = random.Random(seed)
    base = dt.datetime(2025, 1, 2, 3, 4, 5)
    out = []
    for i in range(count):
        created = base + dt.timedelta(
            seconds=rng.randrange(10**8), microseconds=rng.randrange(10**6)
        )
        out.append(
            {
                "id": i,
                "name": f"device-{i}",
                "created": created,
                "updated": created.replace(tzinfo=dt.UTC) + dt.timedelta(hours=3),
                "seen": created.replace(tzinfo=TOKYO),
                "day": created.date(),
                "price": Decimal(f"{rng.randrange(100000)}.{rng.randrange(100):02d}"),
                "tax": Decimal(f"0.{rng.randrange(100):02d}"),
                "meta": {
                    "tags": ["a", "b"],
                    "score": rng.random(),
                    "owner": {"id": i, "ok": True},
                },
            }
        )
    return out


def best_us(func: Any, number: int, repeat: int = 7) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            func()
        best = min(best, (time.perf_counter() - start) / number)
    return best * 1e6


def import_ms() -> float:
    """A fresh interpreter's ``import envoxy`` (best of 5)."""
    code = (
        "import time; t = time.perf_counter(); import envoxy; "
        "print(time.perf_counter() - t)"
    )
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(5)
    ]
    return min(runs) * 1000


def main() -> None:
    from envoxy.utils.encoders import envoxy_json_dumps
    from envoxy.views.containers import Response

    records = rich_records()
    big = [dict(r) for r in records]
    big[25]["counter"] = 2**70
    results = {
        "json_rich_us": best_us(lambda: envoxy_json_dumps(records), 200),
        "json_rich_bigint_us": best_us(lambda: envoxy_json_dumps(big), 50),
        "response_rich_us": best_us(lambda: Response(records), 200),
        "import_ms": import_ms(),
    }
    # same bytes on both sides is part of the contract: a digest to compare
    results["json_rich_bytes"] = len(envoxy_json_dumps(records))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
