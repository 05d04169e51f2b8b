"""``make bench-upstream``: our envoxy against upstream envoxy 0.7.1 from
PyPI, on the same interpreter with the dependencies both use pinned to the
same versions, running the same public-API workloads (workloads.py) in
interleaved rounds; medians into docs/BENCHMARKS.md.

Nothing of upstream is copied into this repository: it is installed from
PyPI into its own venv under .bench/ (not committed) and only run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / ".bench"
WORKLOADS = Path(__file__).with_name("workloads.py")
DOC = ROOT / "docs" / "BENCHMARKS.md"
START, END = "<!-- bench-upstream:start -->", "<!-- bench-upstream:end -->"
#: upstream 0.7.1's own pins of what both packages use, so both run on them
SHARED = [
    "orjson==3.11.3",
    "paho-mqtt==2.1.0",
    "pyzmq==27.1.0",
    "SQLAlchemy==2.0.44",
    "redis==6.4.0",
    "celery==5.5.3",
    "alembic==1.17.0",
    "inflect==7.5.0",
]
ROWS = [  # key, label, unit, lower is better
    (
        "json_rich_us",
        "JSON, 50 records: 3 datetimes (mixed tz), a date, 2 Decimals, nested dicts",
        "us",
    ),
    ("json_rich_bigint_us", "JSON, the same with one 2**70 int", "us"),
    ("response_rich_us", "Response(records) built", "us"),
    ("import_ms", "import envoxy, fresh interpreter", "ms"),
    (
        "mqtt_subscribe_1000_s",
        "subscribing 1,000 filters, `mqttc.subscribe` each (a broker up)",
        "s",
    ),
    (
        "mqtt_subscribe_100000_s",
        "subscribing 100,000 filters, `mqttc.subscribe` each (a broker up)",
        "s",
    ),
]
#: higher is better (rates)
RATES = [
    (
        "mqtt_e2e_msgs",
        "MQTT end to end, publisher process -> Mosquitto -> a `mqttc.subscribe` "
        "callback, QoS 0, MQTT 3.1.1 on both",
        "msg/s",
    ),
    (
        "mqtt_e2e_5_msgs",
        "the same, ours on MQTT 5 (its default; upstream speaks 3.1.1 only)",
        "msg/s",
    ),
    (
        "mqtt_e2e_1000_msgs",
        "the same (3.1.1), the consumer also holding 1,000 other filters: "
        "each message dispatched among them",
        "msg/s",
    ),
    (
        "mqtt_e2e_100000_msgs",
        "the same with 100,000 other filters",
        "msg/s",
    ),
]


def _pip(venv: Path, *args: str) -> None:
    subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *args,
        ],
        check=True,
        cwd=ROOT,
    )


def _source_state() -> str:
    """What ours is built from: the commit and any uncommitted change, so a
    venv of ours is rebuilt whenever the checkout moved."""
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    diff = subprocess.run(
        ["git", "diff", "HEAD", "--", "src", "vendors", "setup.py", "pyproject.toml"],
        capture_output=True,
        cwd=ROOT,
    ).stdout
    return f"{head}+{hashlib.sha256(diff).hexdigest()[:12]}"


def venv(name: str, python: str, packages: list[str], source: str = "") -> Path:
    path = BENCH / name
    marker = path / ".installed"
    wanted = json.dumps([packages, source])
    if marker.exists() and marker.read_text() == wanted:
        return path
    subprocess.run([python, "-m", "venv", "--clear", str(path)], check=True)
    _pip(path, *packages)
    marker.write_text(wanted)
    return path


def measure(path: Path) -> dict[str, float]:
    done = subprocess.run(
        [str(path / "bin" / "python"), "-s", str(WORKLOADS)],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(
    ours: dict[str, float], theirs: dict[str, float], python: str, rounds: int
) -> str:
    lines = [
        f"Measured by `make bench-upstream` ({python}, {rounds} interleaved rounds, "
        "medians; shared dependencies at upstream 0.7.1's pins):",
        "",
        "| path | upstream 0.7.1 | ours | ours vs upstream |",
        "|---|---:|---:|---:|",
    ]
    for key, label, unit in ROWS:
        if key not in ours or key not in theirs:
            continue  # the MQTT rows need a broker
        lines.append(
            f"| {label} | {theirs[key]:,.{2 if unit == 's' else 1}f} {unit} | "
            f"{ours[key]:,.{2 if unit == 's' else 1}f} {unit} | "
            f"{theirs[key] / ours[key]:.2f}x |"
        )
    for key, label, unit in RATES:
        if key in ours and key in theirs:
            limit = ours["mqtt_bare_paho_msgs"]
            lines.append(
                f"| {label} | {theirs[key]:,.0f} {unit} | {ours[key]:,.0f} {unit} | "
                f"{ours[key] / theirs[key]:.2f}x (bare paho consumer {limit:,.0f}: "
                f"ours {ours[key] / limit:.2f}, upstream {theirs[key] / limit:.2f}) |"
            )
    lines.append("")
    lines.append(
        "Not measured here yet (issue 16): zmqc under concurrency and HTTP through "
        "envoxyd (the gate measures each against its peer: docs/BENCHMARKS.md)."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--python", default=str(Path.home() / ".pyenv/versions/3.12.1/bin/python")
    )
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    theirs_env = venv(
        "upstream", args.python, ["envoxy==0.7.1", "envoxyd==0.6.1", *SHARED]
    )
    ours_env = venv(
        "ours",
        args.python,
        [str(ROOT), str(ROOT / "vendors" / "envoxyd"), *SHARED],
        _source_state(),
    )
    ours: list[dict[str, float]] = []
    theirs: list[dict[str, float]] = []
    for _ in range(args.rounds):  # interleaved: a slow spell hits both
        theirs.append(measure(theirs_env))
        ours.append(measure(ours_env))
    median = {k: statistics.median(r[k] for r in ours) for k in ours[0]}
    median_up = {k: statistics.median(r[k] for r in theirs) for k in theirs[0]}
    if median["json_rich_bytes"] != median_up["json_rich_bytes"]:
        sys.exit(
            f"the two encoders disagree on the payload's size: "
            f"{median['json_rich_bytes']} vs {median_up['json_rich_bytes']}"
        )
    version = subprocess.run(
        [args.python, "--version"], capture_output=True, text=True
    ).stdout.strip()
    text = table(median, median_up, version, args.rounds)
    print(text)
    doc = DOC.read_text()
    if START in doc:
        doc = (
            doc[: doc.index(START) + len(START)]
            + "\n"
            + text
            + "\n"
            + doc[doc.index(END) :]
        )
    else:
        doc += f"\n## Side by side with upstream\n\n{START}\n{text}\n{END}\n"
    DOC.write_text(doc)


if __name__ == "__main__":
    main()
