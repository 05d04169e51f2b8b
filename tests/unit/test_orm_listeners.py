"""Audit listeners on a real SQLite database."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

from sqlalchemy import Column, Integer, String, create_engine
from sqlalchemy.orm import Session, declarative_base

from envoxy.db.orm import register_envoxy_listeners
from envoxy.db.orm.base import make_envoxy_base

UUID4 = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)


def setup() -> tuple[Any, Any, Any]:
    base = make_envoxy_base()

    class Device(base):
        name = Column(String(20))

    other = declarative_base()

    class Plain(other):
        __tablename__ = "plain"
        id = Column(Integer, primary_key=True)
        name = Column(String(20))

    engine = create_engine("sqlite://")
    base.metadata.create_all(engine)
    other.metadata.create_all(engine)
    return engine, Device, Plain


def test_insert_fills_audit_columns() -> None:
    engine, Device, _ = setup()
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with Session(engine) as session:
        device = Device(name="a")
        session.add(device)
        session.commit()
        assert UUID4.match(device.id)
        assert before <= device.created <= dt.datetime.now(dt.UTC).replace(tzinfo=None)
        assert device.updated == device.created
        assert device.created.tzinfo is None  # naive UTC in a zone-less column
        assert device.href == f"/v3/data-layer/aux_devices/{device.id}"


def test_given_values_are_kept() -> None:
    engine, Device, _ = setup()
    when = dt.datetime(2020, 1, 2, 3, 4, 5)
    with Session(engine) as session:
        device = Device(id="fixed-id", created=when, href="/custom")
        session.add(device)
        session.commit()
        assert (device.id, device.created, device.href) == ("fixed-id", when, "/custom")


def test_update_bumps_updated_only_on_a_real_change() -> None:
    engine, Device, _ = setup()
    with Session(engine) as session:
        device = Device(name="a")
        session.add(device)
        session.commit()
        first = device.updated
        time.sleep(0.002)
        device.name = "a"  # same value: no UPDATE
        session.commit()
        assert device.updated == first
        device.name = "b"
        session.commit()
        assert device.updated > first
        assert device.created < device.updated


def test_other_models_are_untouched_and_registration_is_idempotent() -> None:
    register_envoxy_listeners()
    register_envoxy_listeners()
    engine, Device, Plain = setup()
    with Session(engine) as session:
        session.add_all([Plain(id=1, name="p"), Device(name="d")])
        session.commit()
        assert session.get(Plain, 1).name == "p"
        assert session.query(Device).count() == 1  # inserted exactly once
