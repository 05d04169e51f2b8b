"""Fail when a benchmark ratio drops under its floor in gates.toml.

Usage: python benchmarks/gate.py RESULTS.json [RESULTS.json ...]
       [--gates gates.toml] [--retry-files OUT]
Each RESULTS.json comes from ``pytest benchmarks --benchmark-json=...``; with
several runs, each benchmark's best (minimum) time across them is used, so a
noisy spell on a shared machine during one run does not fail the gate.
``--retry-files OUT`` writes the benchmark files of the failing gates to OUT
(``make bench-gate`` measures those again, twice, and gates once more: a real
regression fails again, a slow spell that covered one side in every run does
not).
"""

from __future__ import annotations

import json
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _files(runs: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    files: dict[tuple[str, str], str] = {}
    for results in runs:
        for bench in results.get("benchmarks", []):
            label = (bench.get("params") or {}).get("impl") or bench["name"]
            files[(bench["group"], label)] = bench["fullname"].split("::")[0]
    return files


def _times(runs: list[dict[str, Any]]) -> dict[tuple[str, str], float]:
    times: dict[tuple[str, str], float] = {}
    for results in runs:
        for bench in results.get("benchmarks", []):
            label = (bench.get("params") or {}).get("impl") or bench["name"]
            key = (bench["group"], label)
            best = float(bench["stats"]["min"])
            times[key] = min(best, times.get(key, best))
    return times


def check(
    runs: list[dict[str, Any]],
    gates: list[dict[str, Any]],
    retry: set[str] | None = None,
) -> list[str]:
    """Print one line per gate; return the failures (and add the benchmark
    files behind each to ``retry``)."""
    times = _times(runs)
    files = _files(runs)
    failures = []
    for gate in gates:
        group, faster, slower, floor = (
            gate["group"],
            gate["faster"],
            gate["slower"],
            float(gate["floor"]),
        )
        # Cross-group gates (flatness across sizes) name the other group.
        fast_key = (gate.get("faster_group", group), faster)
        slow_key = (gate.get("slower_group", group), slower)
        missing = [f"{k[0]}/{k[1]}" for k in (fast_key, slow_key) if k not in times]
        if missing:
            absent = ", ".join(missing)
            service = gate.get("needs_service")
            if service and not os.environ.get("CI"):
                print(f"SKIP {group}: no result for {absent} ({service} not running)")
                continue
            failures.append(f"{group}: no result for {absent}")
            print(f"MISSING {group}: {slower}/{faster} (no result for {absent})")
            continue
        ratio = times[slow_key] / times[fast_key]
        ok = ratio >= floor
        print(
            f"{'ok  ' if ok else 'FAIL'} {group}: {slow_key[0]}/{slower} over "
            f"{fast_key[0]}/{faster} = {ratio:.2f}x (floor {floor:g}; "
            f"{times[fast_key] * 1e6:.2f} us vs {times[slow_key] * 1e6:.2f} us) - "
            f"{gate.get('why', '')}"
        )
        if not ok:
            failures.append(f"{group}: {slower}/{faster} = {ratio:.2f}x < {floor:g}")
            if retry is not None:
                retry.update(files[k] for k in (fast_key, slow_key) if k in files)
    return failures


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    gates_path = HERE / "gates.toml"
    if "--gates" in argv:
        index = argv.index("--gates")
        gates_path = Path(argv[index + 1])
        argv = argv[:index] + argv[index + 2 :]
    retry_path = None
    if "--retry-files" in argv:
        index = argv.index("--retry-files")
        retry_path = Path(argv[index + 1])
        argv = argv[:index] + argv[index + 2 :]
    runs = [json.loads(Path(name).read_text(encoding="utf-8")) for name in argv]
    gates = tomllib.loads(gates_path.read_text(encoding="utf-8"))["gate"]
    retry: set[str] = set()
    failures = check(runs, gates, retry)
    if retry_path is not None:
        retry_path.write_text(" ".join(sorted(retry)), encoding="utf-8")
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
