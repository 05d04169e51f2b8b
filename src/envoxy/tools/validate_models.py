"""``python -m envoxy.tools.validate_models <models_dir>``

Checks JSON model descriptions for the audit fields (id, created, updated,
href), in either format services use:

- ``{"fields": {...}}`` (one model per file);
- ``{"datums": [{"fields": {...}}, ...]}`` (several).

Prints one line per problem; a file that is not valid JSON is a problem too.
Exit status: 0 clean, 2 usage or missing directory, 3 problems.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from envoxy.db.orm.mixin import AUDIT_COLUMNS

__all__ = ["check_file", "main", "validate_model_file"]


def _missing(fields: Any) -> list[str]:
    present = fields if isinstance(fields, dict) else {}
    return sorted(set(AUDIT_COLUMNS) - set(present))


def validate_model_file(path: str | Path) -> list[str]:
    """Problems of one model file, in the wording upstream's tests expect."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"Failed to parse JSON: {exc}"]
    problems: list[str] = []
    if isinstance(data, dict) and isinstance(data.get("datums"), list):
        for index, datum in enumerate(data["datums"]):
            if isinstance(datum, dict) and "fields" not in datum:
                continue  # a datum that declares no fields has none to check
            missing = _missing(datum.get("fields") if isinstance(datum, dict) else None)
            if missing:
                problems.append(f"Datum {index}: missing fields: {', '.join(missing)}")
    elif isinstance(data, dict) and isinstance(data.get("fields"), dict):
        missing = _missing(data["fields"])
        if missing:
            problems.append(f"missing fields: {', '.join(missing)}")
    else:
        problems.append('no "fields" object and no "datums" list')
    return problems


def check_file(path: str | Path) -> bool:
    """True when the file describes models with every audit field."""
    return not validate_model_file(path)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(
            "usage: python -m envoxy.tools.validate_models <models_dir>",
            file=sys.stderr,
        )
        return 2
    directory = Path(args[0])
    if not directory.is_dir():
        print(f"Models directory not found: {directory}", file=sys.stderr)
        return 2
    failed = False
    files = sorted(directory.rglob("*.json"))
    for path in files:
        for problem in validate_model_file(path):
            print(f"{path}: {problem}")
            failed = True
    print(f"{len(files)} model files checked in {directory}")
    return 3 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
