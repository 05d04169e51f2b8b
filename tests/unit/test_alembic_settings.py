"""envoxy-alembic settings: every misconfiguration gets a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.operations import ops
from sqlalchemy import Column, DateTime, String

from envoxy.tools.alembic.settings import AlembicSetupError, load_settings
from envoxy.tools.alembic_hooks import find_problems

BASE = {"ENVOXY_SERVICE_NAMESPACE": "Shop", "SERVICE_DB_URL": "sqlite:///data/app.db"}


def test_complete_settings(tmp_path: Path) -> None:
    settings = load_settings(
        {
            **BASE,
            "SERVICE_MODELS": "a.models, b.models",
            "SERVICE_MODELS_PATHS": "/x:/y",
        },
        tmp_path,
    )
    assert settings.prefix == "aux_shop_"
    assert settings.version_table == "alembic_version_shop"
    assert settings.url.database == str(
        (tmp_path / "data/app.db").resolve()
    )  # relative -> absolute
    assert settings.models == ("a.models", "b.models")
    assert settings.model_paths == ("/x", "/y")
    assert settings.script_dir == (tmp_path / "migrations").resolve()


def test_postgres_urls_get_the_psycopg2_driver(tmp_path: Path) -> None:
    for raw in ("postgresql://u:p@h/db", "postgres://u:p@h/db"):
        settings = load_settings({**BASE, "SERVICE_DB_URL": raw}, tmp_path)
        assert settings.url.drivername == "postgresql+psycopg2"
        assert "p@" not in settings.safe_url  # the password is masked
    explicit = load_settings(
        {**BASE, "SERVICE_DB_URL": "postgresql+psycopg://u@h/db"}, tmp_path
    )
    assert explicit.url.drivername == "postgresql+psycopg"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SERVICE_DB_URL": "sqlite:///x.db"}, "ENVOXY_SERVICE_NAMESPACE is not set"),
        (
            {"ENVOXY_SERVICE_NAMESPACE": "s", "ENVOXY_RC_PATH": "/nonexistent"},
            "no database URL: set SERVICE_DB_URL",
        ),
        (
            {**BASE, "SERVICE_DB_URL": "not a url"},
            "SERVICE_DB_URL is not a database URL",
        ),
        (
            {**BASE, "SERVICE_DB_URL": "mysql://u:secret@h/db"},
            "unsupported database 'mysql'",
        ),
        ({**BASE, "SERVICE_DB_URL": "sqlite://"}, "in-memory SQLite"),
    ],
)
def test_misconfigurations(
    tmp_path: Path, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(AlembicSetupError, match=message) as info:
        load_settings(environ, tmp_path)
    assert "secret" not in str(info.value)


def test_rc_file_is_read_not_executed(tmp_path: Path) -> None:
    rc = tmp_path / "svc.rc"
    rc.write_text(
        "# comment\nexport MUZZLEY_PGSQL_ADDR=db.internal\nMUZZLEY_PGSQL_USER='svc'\n"
        'MUZZLEY_PGSQL_PASSWD="p@ss word"\nMUZZLEY_PGSQL_PORT=6543\n$(touch pwned)\n',
        encoding="utf-8",
    )
    settings = load_settings(
        {"ENVOXY_SERVICE_NAMESPACE": "s", "ENVOXY_RC_PATH": str(rc)}, tmp_path
    )
    assert (settings.url.host, settings.url.port, settings.url.username) == (
        "db.internal",
        6543,
        "svc",
    )
    assert settings.url.password == "p@ss word"
    assert settings.url.database == "svc"
    assert not (tmp_path / "pwned").exists()


def test_hook_finds_convention_breaks() -> None:
    good = ops.CreateTableOp(
        "aux_shop_things",
        [
            Column("id", String(36)),
            Column("created", DateTime()),
            Column("updated", DateTime()),
            Column("href", String(9)),
        ],
    )
    bad = ops.CreateTableOp("things", [Column("id", String(36))])
    index = ops.CreateIndexOp("idx_" + "x" * 70, "aux_shop_things", ["id"])
    problems = find_problems(ops.UpgradeOps([good, bad, index]), "aux_shop_")
    assert problems == [
        "table 'things' does not start with 'aux_shop_'",
        "table 'things' lacks audit columns: created, updated, href",
        f"index name 'idx_{'x' * 70}' is 74 characters (PostgreSQL keeps 63)",
    ]
