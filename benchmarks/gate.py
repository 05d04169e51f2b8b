"""Fail when a benchmark ratio drops under its floor in gates.toml.

Usage: python benchmarks/gate.py RESULTS.json [gates.toml]
RESULTS.json comes from ``pytest benchmarks --benchmark-json=RESULTS.json``.
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _times(results: dict[str, Any]) -> dict[tuple[str, str], float]:
    times: dict[tuple[str, str], float] = {}
    for bench in results.get("benchmarks", []):
        label = (bench.get("params") or {}).get("impl") or bench["name"]
        times[(bench["group"], label)] = float(bench["stats"]["min"])
    return times


def check(results: dict[str, Any], gates: list[dict[str, Any]]) -> list[str]:
    """Print one line per gate; return the failures."""
    times = _times(results)
    failures = []
    for gate in gates:
        group, faster, slower, floor = (
            gate["group"],
            gate["faster"],
            gate["slower"],
            float(gate["floor"]),
        )
        missing = [name for name in (faster, slower) if (group, name) not in times]
        if missing:
            failures.append(f"{group}: no result for {', '.join(missing)}")
            absent = ", ".join(missing)
            print(f"MISSING {group}: {slower}/{faster} (no result for {absent})")
            continue
        ratio = times[(group, slower)] / times[(group, faster)]
        ok = ratio >= floor
        print(
            f"{'ok  ' if ok else 'FAIL'} {group}: {slower}/{faster} = {ratio:.2f}x "
            f"(floor {floor:g}; {times[(group, faster)] * 1e6:.2f} us vs "
            f"{times[(group, slower)] * 1e6:.2f} us) - {gate.get('why', '')}"
        )
        if not ok:
            failures.append(f"{group}: {slower}/{faster} = {ratio:.2f}x < {floor:g}")
    return failures


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    results = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    gates_path = Path(argv[1]) if len(argv) > 1 else HERE / "gates.toml"
    gates = tomllib.loads(gates_path.read_text(encoding="utf-8"))["gate"]
    failures = check(results, gates)
    if failures:
        print(
            f"benchmark gate: {len(failures)} of {len(gates)} ratios under their floor",
            file=sys.stderr,
        )
        return 1
    print(f"benchmark gate: all {len(gates)} ratios at or above their floors")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
