"""check_migrations reads migration source and reports problems with file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

from envoxy.tools import check_migrations

GOOD = """
from alembic import op
import sqlalchemy as sa

def upgrade():
    op.create_table(
        "aux_devices",
        sa.Column("name", sa.String(40)),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("updated", sa.DateTime(), nullable=False),
        sa.Column("href", sa.String(1024), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("aux_pk_devices")),
    )
    op.create_index(op.f("aux_idx_devices_name"), "aux_devices", ["name"])
    with op.batch_alter_table("aux_devices") as batch_op:
        batch_op.create_index(batch_op.f("aux_idx_devices_id"), ["id"])
    op.create_index("aux_idx_old_x", "aux_old", ["x"], postgresql_concurrently=True)

def downgrade():
    op.drop_table("aux_devices")
"""

BAD = """
from alembic import op
import sqlalchemy as sa

def upgrade():
    op.create_table(
        "devices",
        sa.Column("name", sa.String(40)),
        sa.Column("id", sa.String(36)),
        sa.UniqueConstraint("name", name="uq_devices_name"),
    )
    op.create_index("aux_idx_old_x", "aux_old", ["x"])
    op.drop_column("aux_old", "y")
    op.alter_column("aux_old", "z", type_=sa.Text())
    op.create_foreign_key("LONG_NAME", "aux_a", "aux_b", ["b_id"], ["id"])
    op.drop_column("aux_old", "w")  # envoxy: allow-unsafe
""".replace("LONG_NAME", "aux_fk_" + "x" * 70)


def write(tmp_path: Path, **files: str) -> Path:
    versions = tmp_path / "versions"
    versions.mkdir()
    for name, source in files.items():
        (versions / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return versions


def test_clean_migration_passes(tmp_path: Path, capsys) -> None:
    versions = write(tmp_path, good=GOOD)
    assert check_migrations.main([str(versions)]) == 0
    assert "1 migration files checked" in capsys.readouterr().out


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    versions = write(tmp_path, bad=BAD)
    count, problems = check_migrations.check_directory(versions)
    assert count == 1
    found = {
        (p.line, p.message.split(" ")[0] + " " + p.message.split(" ")[1])
        for p in problems
    }
    messages = "\n".join(str(p) for p in problems)
    assert (
        f"{versions / 'bad.py'}:6: table name 'devices' does not start with 'aux_'"
        in messages
    )
    assert (
        "create_table 'devices' lacks audit columns: created, updated, href" in messages
    )
    assert (
        ":10: constraint name 'uq_devices_name' does not start with 'aux_'" in messages
    )
    assert (
        ":12: create_index on existing table 'aux_old' without "
        "postgresql_concurrently=True" in messages
    )
    assert ":13: drop_column loses data" in messages
    assert ":14: alter_column with type_= rewrites the table" in messages
    assert (
        ":15: constraint name 'aux_fk_xxx" in messages
        and "characters (PostgreSQL keeps 63)" in messages
    )
    assert ":16:" not in messages  # reviewed and marked
    assert len(found) == len(problems)


def test_exit_codes(tmp_path: Path) -> None:
    assert check_migrations.main([str(tmp_path / "missing")]) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".gitkeep").write_text("")
    assert check_migrations.main([str(empty)]) == 3
    assert check_migrations.main([str(write(tmp_path, bad=BAD))]) == 1
    assert check_migrations.main([]) == 2


def test_syntax_error_is_a_problem(tmp_path: Path) -> None:
    versions = write(tmp_path, broken="def upgrade(:\n")
    _, problems = check_migrations.check_directory(versions)
    assert problems[0].message.startswith("not valid Python")


def test_prefix_option(tmp_path: Path) -> None:
    versions = write(tmp_path, good=GOOD)
    assert check_migrations.main([str(versions), "--prefix", "aux_shop_"]) == 1
