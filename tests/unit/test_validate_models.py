"""validate_models: both JSON model formats."""

from __future__ import annotations

import json
from pathlib import Path

from envoxy.tools.validate_models import check_file, main, validate_model_file

AUDIT = {"id": {}, "created": {}, "updated": {}, "href": {}}


def write(path: Path, data: object) -> Path:
    path.write_text(
        json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8"
    )
    return path


def test_fields_format(tmp_path: Path) -> None:
    assert check_file(write(tmp_path / "ok.json", {"fields": {**AUDIT, "name": {}}}))
    assert validate_model_file(
        write(tmp_path / "bad.json", {"fields": {"id": {}, "name": {}}})
    ) == ["missing fields: created, href, updated"]


def test_datums_format(tmp_path: Path) -> None:
    data = {"datums": [{"fields": AUDIT}, {"fields": {"id": {}}}]}
    assert validate_model_file(write(tmp_path / "d.json", data)) == [
        "Datum 1: missing fields: created, href, updated"
    ]


def test_unparsable_and_unknown(tmp_path: Path) -> None:
    assert validate_model_file(write(tmp_path / "x.json", "{nope"))[0].startswith(
        "Failed to parse JSON"
    )
    assert validate_model_file(write(tmp_path / "y.json", [1]))[0].startswith("no ")


def test_cli(tmp_path: Path, capsys) -> None:
    models = tmp_path / "models"
    (models / "nested").mkdir(parents=True)
    write(models / "a.json", {"fields": AUDIT})
    assert main([str(models)]) == 0
    write(models / "nested" / "b.json", {"fields": {"id": {}}})
    assert main([str(models)]) == 3
    assert "b.json: missing fields: created, href, updated" in capsys.readouterr().out
    assert main([str(tmp_path / "missing")]) == 2
    assert main([]) == 2
