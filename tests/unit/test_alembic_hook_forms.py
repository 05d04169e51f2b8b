"""check_autogenerate_revision in both forms (issue 14.11), and
validate_models skipping datums without fields."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from alembic.operations import ops
from alembic.util import CommandError

from envoxy.tools.alembic_hooks import check_autogenerate_revision
from envoxy.tools.validate_models import validate_model_file


def _script(table: str) -> Any:
    create = ops.CreateIndexOp("idx_plain", table, ["sku"])
    return ops.MigrationScript(
        rev_id="abc",
        upgrade_ops=ops.UpgradeOps([create]),
        downgrade_ops=ops.DowngradeOps([]),
    )


def _config(autogenerate: bool) -> Any:
    return SimpleNamespace(
        cmd_opts=SimpleNamespace(autogenerate=autogenerate),
        attributes={"envoxy_prefix": "aux_"},
    )


def test_the_three_argument_hook() -> None:
    context = SimpleNamespace(config=_config(True))
    with pytest.raises(CommandError, match="idx_plain"):
        check_autogenerate_revision(context, "rev", [_script("aux_products")])
    quiet = SimpleNamespace(config=_config(False))
    check_autogenerate_revision(quiet, "rev", [_script("aux_products")])


def test_the_one_argument_revision_context() -> None:
    revision_context = SimpleNamespace(
        config=_config(True),
        generated_revisions=[_script("aux_products")],
        command_args={"autogenerate": True},
    )
    with pytest.raises(CommandError, match="idx_plain"):
        check_autogenerate_revision(revision_context)
    revision_context.command_args = {"autogenerate": False}
    check_autogenerate_revision(revision_context)  # a hand-written revision


def test_validate_models_skips_datums_without_fields(tmp_path: Path) -> None:
    path = tmp_path / "models.json"
    path.write_text(
        json.dumps(
            {
                "datums": [
                    {"name": "a view", "kind": "projection"},  # no fields: skipped
                    {"fields": {"id": {}, "created": {}, "updated": {}, "href": {}}},
                    {"fields": {"id": {}}},
                ]
            }
        )
    )
    assert validate_model_file(path) == [
        "Datum 2: missing fields: created, href, updated"
    ]
