"""Table and constraint names of envoxy models, checked in a real SQLite catalog."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest
from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    create_engine,
    inspect,
)
from sqlalchemy import ForeignKey as SAForeignKey
from sqlalchemy.orm import declarative_base

from envoxy.db.orm import schema
from envoxy.db.orm.base import make_envoxy_base
from envoxy.db.orm.naming import pluralize, snake_case, table_name_for


@pytest.mark.parametrize(
    ("class_name", "table"),
    [
        ("Product", "aux_products"),
        ("Category", "aux_categories"),
        ("OrderItem", "aux_order_items"),
        ("ClaimHistory", "aux_claim_histories"),
        ("Person", "aux_people"),
        ("Policy", "aux_policies"),
        ("Status", "aux_statuses"),
        ("Bus", "aux_buses"),
        ("Alias", "aux_aliases"),
        ("Analysis", "aux_analyses"),
        ("Address", "aux_addresses"),
        ("UserSettings", "aux_user_settings"),
        ("Data", "aux_data"),
        ("DeviceMetadata", "aux_device_metadata"),
        ("Users", "aux_users"),
        ("HTTPRequest", "aux_http_requests"),
        ("ApiKey", "aux_api_keys"),
        ("Child", "aux_children"),
        ("Matrix", "aux_matrices"),
        ("SmsMessage", "aux_sms_messages"),
        ("Feedback", "aux_feedback"),
    ],
)
def test_table_names(class_name: str, table: str) -> None:
    assert table_name_for(class_name) == table


def test_snake_case_and_pluralize() -> None:
    assert snake_case("OAuthToken") == "o_auth_token"
    assert pluralize("order_item") == "order_items"
    assert pluralize("gps") == "gps"


@pytest.fixture
def base() -> Any:
    return make_envoxy_base()


def catalog(base: Any) -> Any:
    engine = create_engine("sqlite://")
    base.metadata.create_all(engine)
    return inspect(engine)


def test_two_related_models_get_documented_names(base: Any) -> None:
    class Category(base):
        name = Column(String(80), nullable=False, unique=True)

    class Product(base):
        sku = Column(String(40), nullable=False)
        category_id = Column(String(36), SAForeignKey("categories.id"))
        a_really_long_column_name_number_one = Column(String(10))
        a_really_long_column_name_number_two = Column(String(10))
        __table_args__ = (
            UniqueConstraint("sku"),
            Index(
                None,
                "a_really_long_column_name_number_one",
                "a_really_long_column_name_number_two",
            ),
            CheckConstraint("length(sku) > 0"),
        )

    insp = catalog(base)
    assert set(insp.get_table_names()) == {"aux_categories", "aux_products"}
    (fk,) = insp.get_foreign_keys("aux_products")
    assert fk["name"] == "aux_fk_products_category_id_to_categories"
    assert fk["referred_table"] == "aux_categories"
    assert {u["name"] for u in insp.get_unique_constraints("aux_products")} == {
        "aux_uq_products_sku"
    }
    (index,) = insp.get_indexes("aux_products")
    assert (
        index["name"]
        == "aux_idx_products_a_really_long_column_name_number_one__ffdb2092"
    )
    assert len(index["name"]) == 63
    assert {u["name"] for u in insp.get_unique_constraints("aux_categories")} == {
        "aux_uq_categories_name"
    }
    columns = [c["name"] for c in insp.get_columns("aux_products")]
    assert columns[-4:] == ["id", "created", "updated", "href"]
    assert Product.__table__.primary_key.name == "aux_pk_products"
    assert next(iter(Product.__table__.foreign_keys)).column.table is Category.__table__


def test_explicit_and_exception_table_names(base: Any) -> None:
    class Order(base):
        __tablename__ = "orders"  # kept (not singularised as upstream did), prefixed

    class Legacy(base):
        __exception_tablename__ = "legacy_things"

    class AlreadyPrefixed(base):
        __tablename__ = "aux_widgets"

    assert Order.__table__.name == "aux_orders"
    assert Legacy.__table__.name == "legacy_things"
    assert AlreadyPrefixed.__table__.name == "aux_widgets"


def test_single_table_inheritance_makes_no_second_table(base: Any) -> None:
    class Claim(base):
        kind = Column(String(10))
        __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "claim"}

    class SpecialClaim(Claim):
        __mapper_args__ = {"polymorphic_identity": "special"}
        extra = Column(String(10))

    assert SpecialClaim.__table__ is Claim.__table__
    assert set(base.metadata.tables) == {"aux_claims"}


def test_joined_inheritance_with_explicit_table(base: Any) -> None:
    class Vehicle(base):
        kind = Column(String(10))
        __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "vehicle"}

    class Truck(Vehicle):
        __tablename__ = "trucks"
        id = Column(String(36), SAForeignKey("vehicles.id"), primary_key=True)
        __mapper_args__ = {"polymorphic_identity": "truck"}

    assert Truck.__table__.name == "aux_trucks"
    assert set(catalog(base).get_table_names()) == {"aux_vehicles", "aux_trucks"}


def test_foreign_key_targets_are_prefixed_in_every_form(base: Any) -> None:
    class User(base):
        pass

    class Note(base):
        a = Column(String(36), SAForeignKey("users.id"))
        b = Column(String(36), schema.ForeignKey("users.id"))
        c = Column(String(36), SAForeignKey("aux_users.id"))
        d = Column(String(36))
        __table_args__ = (ForeignKeyConstraint(["d"], ["users.id"]),)

    targets = sorted(fk.target_fullname for fk in Note.__table__.foreign_keys)
    assert targets == ["aux_users.id"] * 4
    assert {fk.column.table for fk in Note.__table__.foreign_keys} == {User.__table__}


def test_schema_helpers() -> None:
    assert schema.prefixed("things") == "aux_things"
    assert schema.prefixed("aux_things") == "aux_things"
    assert schema.ForeignKey("other.schema.col").target_fullname == "other.schema.col"


def test_unrelated_models_are_left_alone() -> None:
    other = declarative_base()

    class Plain(other):
        __tablename__ = "plain"
        id = Column(Integer, primary_key=True)

    assert Plain.__table__.name == "plain"
    assert Plain.__table__.primary_key.name is None


def test_namespace_prefix_reaches_tables_and_constraints() -> None:
    code = textwrap.dedent(
        """
        from sqlalchemy import Column, String, UniqueConstraint
        from envoxy.db.orm import EnvoxyBase
        class Product(EnvoxyBase):
            sku = Column(String(10))
            __table_args__ = (UniqueConstraint("sku"),)
        names = sorted(c.name for c in Product.__table__.constraints)
        print(Product.__table__.name, names)
        """
    )
    import os

    env = {**os.environ, "ENVOXY_SERVICE_NAMESPACE": "My-Svc"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "aux_my_svc_products ['aux_my_svc_pk_products', 'aux_my_svc_uq_products_sku']"
    )


def test_explicitly_named_constraints_get_the_prefix(base: Any) -> None:
    """14.7: upstream prefixed an explicit name (``idx_products_sku`` ->
    ``aux_idx_products_sku``); a model and upstream-generated migrations must
    agree. A name already carrying the prefix is kept."""

    class Product(base):
        sku = Column(String(40), nullable=False)
        code = Column(String(40), nullable=False)
        __table_args__ = (
            Index("idx_products_sku", "sku"),
            Index("aux_idx_products_code", "code"),
            UniqueConstraint("code", name="uq_products_code"),
            CheckConstraint("length(sku) > 0", name="ck_sku_not_empty"),
        )

    insp = catalog(base)
    assert {i["name"] for i in insp.get_indexes("aux_products")} == {
        "aux_idx_products_sku",
        "aux_idx_products_code",
    }
    assert {u["name"] for u in insp.get_unique_constraints("aux_products")} == {
        "aux_uq_products_code"
    }
    assert {c["name"] for c in insp.get_check_constraints("aux_products")} == {
        "aux_ck_sku_not_empty"
    }


def test_a_plain_base_with_its_own_primary_key_keeps_it() -> None:
    """14.7: EnvoxyMixin mixed into a plain declarative base with a key of the
    model's own made a composite (id, key) primary key; the model's key is the
    key, and the mixin's id a unique, non-null column."""
    from envoxy.db.orm import EnvoxyMixin

    plain = declarative_base()

    class Legacy(EnvoxyMixin, plain):
        __tablename__ = "legacy"
        legacy_id = Column(Integer, primary_key=True)
        name = Column(String(20))

    table = Legacy.__table__
    assert [c.name for c in table.primary_key.columns] == ["legacy_id"]
    assert table.c.id.unique and not table.c.id.nullable
    assert [c.name for c in table.columns][-4:] == ["id", "created", "updated", "href"]

    class Modern(EnvoxyMixin, plain):
        __tablename__ = "modern"
        name = Column(String(20))

    assert [c.name for c in Modern.__table__.primary_key.columns] == ["id"]
