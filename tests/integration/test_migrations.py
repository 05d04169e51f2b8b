"""A new service directory migrates from nothing to head with envoxy-alembic,
on PostgreSQL and on SQLite, and the catalog shows the documented names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from tests.services import Service

MODELS = """
from sqlalchemy import Column, ForeignKey, Index, String, UniqueConstraint

from envoxy.db.orm import EnvoxyBase


class Category(EnvoxyBase):
    name = Column(String(80), nullable=False)
    __table_args__ = (UniqueConstraint("name"),)


class Product(EnvoxyBase):
    sku = Column(String(40), nullable=False)
    category_id = Column(String(36), ForeignKey("categories.id"), nullable=False)
    a_really_long_column_name_number_one = Column(String(10))
    a_really_long_column_name_number_two = Column(String(10))
    __table_args__ = (
        Index(
            None,
            "a_really_long_column_name_number_one",
            "a_really_long_column_name_number_two",
        ),
    )
"""

WRITES = """
import json, sys, time
from sqlalchemy.exc import IntegrityError
from envoxy.utils.config import Config
Config.configure(cli={"psql_servers.main.url": sys.argv[1]}, environ={})
from envoxy.db.orm import session_scope
from shop.models import Category, Product

with session_scope() as session:
    category = Category(name="tools")
    session.add(category)
    session.flush()
    product = Product(sku="x1", category_id=category.id)
    session.add(product)
    session.flush()
    product_id = product.id
time.sleep(0.01)
with session_scope() as session:
    session.get(Product, product_id).sku = "x2"
with session_scope() as session:
    row = session.get(Product, product_id)
    result = {"id": row.id, "sku": row.sku, "href": row.href,
              "created": row.created.isoformat(), "updated": row.updated.isoformat()}
try:
    with session_scope() as session:
        session.add(Category(name="tools"))
    result["duplicate"] = "accepted"
except IntegrityError:
    result["duplicate"] = "refused"
print(json.dumps(result))
"""


@dataclass
class ServiceDir:
    root: Path
    namespace: str
    url: str

    @property
    def prefix(self) -> str:
        return f"aux_{self.namespace}_"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "ENVOXY_SERVICE_NAMESPACE": self.namespace,
            "SERVICE_DB_URL": self.url,
            "SERVICE_MODELS": "shop.models",
            "SERVICE_MODELS_PATHS": str(self.root),
            "SERVICE_ALEMBIC_DIR": str(self.root / "migrations"),
        }

    def run(self, *args: str, module: bool = False) -> subprocess.CompletedProcess[str]:
        script = Path(sys.executable).with_name("envoxy-alembic")
        command = (
            [sys.executable, "-m", "envoxy.tools.alembic.alembic"]
            if module
            else [str(script)]
        )
        return self._run([*command, *args])

    def python(self, code: str, *args: str) -> subprocess.CompletedProcess[str]:
        return self._run([sys.executable, "-c", code, *args])

    def _run(self, command: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command,
            cwd=self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def make_service(tmp_path: Path, url: str) -> ServiceDir:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "shop" / "models.py").write_text(
        textwrap.dedent(MODELS), encoding="utf-8"
    )
    return ServiceDir(tmp_path, f"t{uuid.uuid4().hex[:8]}", url)


@pytest.fixture(params=["sqlite", "postgres"])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServiceDir]:
    if request.param == "sqlite":
        yield make_service(tmp_path, "sqlite:///service.db")
        return
    pg: Service = request.getfixturevalue("postgres_service")
    svc = make_service(tmp_path, f"postgresql://postgres@{pg.address}/test")
    yield svc
    engine = create_engine(svc.url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.begin() as conn:
        for table in inspect(conn).get_table_names():
            if (
                table.startswith(svc.prefix)
                or table == f"alembic_version_{svc.namespace}"
            ):
                conn.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
    engine.dispose()


def engine_for(svc: ServiceDir):  # type: ignore[no-untyped-def]
    url = svc.url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        url = f"sqlite:///{svc.root / url[len('sqlite:///') :]}"
    return create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))


def test_from_nothing_to_head(service: ServiceDir) -> None:
    ns, prefix = service.namespace, service.prefix
    made = service.run("revision", "--autogenerate", "-m", "initial")
    assert made.returncode == 0, made.stderr
    (revision,) = (service.root / "migrations" / "versions").glob("*_initial.py")
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "envoxy.tools.check_migrations",
            str(revision.parent),
            "--prefix",
            prefix,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout

    upgraded = service.run("upgrade", "head")
    assert upgraded.returncode == 0, upgraded.stderr

    engine = engine_for(service)
    try:
        catalog = inspect(engine)
        tables = set(catalog.get_table_names())
        assert {
            f"{prefix}categories",
            f"{prefix}products",
            f"alembic_version_{ns}",
        } <= tables
        products = f"{prefix}products"
        (fk,) = catalog.get_foreign_keys(products)
        assert fk["name"] == f"{prefix}fk_products_category_id_to_categories"
        assert fk["referred_table"] == f"{prefix}categories"
        uniques = {
            u["name"] for u in catalog.get_unique_constraints(f"{prefix}categories")
        }
        assert uniques == {f"{prefix}uq_categories_name"}
        (index,) = [i for i in catalog.get_indexes(products) if not i.get("unique")]
        assert index["name"].startswith(
            f"{prefix}idx_products_a_really_long_column_name"
        )
        assert len(index["name"]) == 63
        if engine.dialect.name == "postgresql":
            assert catalog.get_pk_constraint(products)["name"] == f"{prefix}pk_products"
        columns = [c["name"] for c in catalog.get_columns(products)]
        assert columns[-4:] == ["id", "created", "updated", "href"]
    finally:
        engine.dispose()

    wrote = service.python(WRITES, service.url)
    assert wrote.returncode == 0, wrote.stderr
    row = json.loads(wrote.stdout)
    assert row["sku"] == "x2"
    assert row["href"] == f"/v3/data-layer/{products}/{row['id']}"
    assert row["updated"] > row["created"]
    assert row["duplicate"] == "refused"

    again = service.run("revision", "--autogenerate", "-m", "no change", module=True)
    assert again.returncode == 0, again.stderr
    (noop,) = (service.root / "migrations" / "versions").glob("*_no_change.py")
    upgrade_body = (
        noop.read_text(encoding="utf-8")
        .split("def upgrade")[1]
        .split("def downgrade")[0]
    )
    assert "op." not in upgrade_body  # the models and the database agree

    down = service.run("downgrade", "base")
    assert down.returncode == 0, down.stderr
    engine = engine_for(service)
    try:
        assert not [
            t for t in inspect(engine).get_table_names() if t.startswith(prefix)
        ]
    finally:
        engine.dispose()


def _cli(
    cwd: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    script = str(Path(sys.executable).with_name("envoxy-alembic"))
    return subprocess.run(
        [script, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("change", "args", "message"),
    [
        (
            {"ENVOXY_SERVICE_NAMESPACE": None, "SERVICE_MODELS": ""},
            ["current"],
            "ENVOXY_SERVICE_NAMESPACE is not set and nothing names the service",
        ),
        (
            {"SERVICE_DB_URL": "mysql://u:hunter2@h/db"},
            ["current"],
            "unsupported database 'mysql'",
        ),
        (
            {"SERVICE_MODELS": ""},
            ["revision", "--autogenerate", "-m", "x"],
            "autogenerate found no models",
        ),
        (
            {"SERVICE_MODELS": "shop.nope"},
            ["revision", "--autogenerate", "-m", "x"],
            "SERVICE_MODELS names 'shop.nope', which cannot be imported",
        ),
    ],
)
def test_misconfiguration_messages(
    tmp_path: Path, change: dict[str, str | None], args: list[str], message: str
) -> None:
    svc = make_service(tmp_path, "sqlite:///service.db")
    env = svc.env()
    for key, value in change.items():
        if value is None:
            env.pop(key)
        else:
            env[key] = value
    result = _cli(tmp_path, env, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


def test_service_namespace_fallback_reaches_the_models(tmp_path: Path) -> None:
    svc = make_service(tmp_path, "sqlite:///service.db")
    env = svc.env()
    env["SERVICE_NAMESPACE"] = env.pop("ENVOXY_SERVICE_NAMESPACE")
    made = _cli(tmp_path, env, "revision", "--autogenerate", "-m", "initial")
    assert made.returncode == 0, made.stderr
    (revision,) = (tmp_path / "migrations" / "versions").glob("*_initial.py")
    assert f"'{svc.prefix}products'" in revision.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("boot_name", "version_table"),
    [(None, "alembic_version_shop"), ("shop-svc", "alembic_version_shop_svc")],
)
def test_without_a_namespace_tables_keep_aux_and_the_service_names_the_version(
    tmp_path: Path, boot_name: str | None, version_table: str
) -> None:
    """14.10: envoxy-alembic required ENVOXY_SERVICE_NAMESPACE; the README's
    commands (SERVICE_MODELS and a URL only) failed. Now tables keep aux_ and
    the version table is named from boot[0].name, else the models' package."""
    import sqlite3

    svc = make_service(tmp_path, "sqlite:///service.db")
    if boot_name is not None:
        (tmp_path / "envoxy.json").write_text(
            json.dumps({"boot": [{"name": boot_name}]})
        )
    env = svc.env()
    env.pop("ENVOXY_SERVICE_NAMESPACE")
    made = _cli(tmp_path, env, "revision", "--autogenerate", "-m", "initial")
    assert made.returncode == 0, made.stderr
    assert f"tables keep aux_, version table {version_table}" in made.stderr
    assert made.stderr.count("no ENVOXY_SERVICE_NAMESPACE") == 1  # one line, once
    upgraded = _cli(tmp_path, env, "upgrade", "head")
    assert upgraded.returncode == 0, upgraded.stderr
    with sqlite3.connect(tmp_path / "service.db") as db:
        tables = {
            row[0]
            for row in db.execute("select name from sqlite_master where type='table'")
        }
    assert {"aux_products", "aux_categories", version_table} <= tables
