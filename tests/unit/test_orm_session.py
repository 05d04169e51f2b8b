"""Session helpers keyed by psql_servers, on SQLite files and URL building."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, String, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from envoxy.db.helpers import to_sa_text
from envoxy.db.orm import session as orm_session
from envoxy.db.orm.base import make_envoxy_base
from envoxy.exceptions import DatabaseException
from envoxy.postgresql.sqlalchemy import EnvoxySessionManager
from envoxy.utils.config import Config


@pytest.fixture
def configured(tmp_path: Path) -> Iterator[Path]:
    conf = {
        "psql_servers": {
            "default": "local",
            "other": {"url": f"sqlite:///{tmp_path / 'other.db'}"},
            "local": {"url": f"sqlite:///{tmp_path / 'local.db'}"},
        }
    }
    path = tmp_path / "envoxy.json"
    path.write_text(json.dumps(conf), encoding="utf-8")
    Config.configure(path, environ={})
    yield tmp_path
    orm_session.dispose_all()
    Config.reset()


def models(manager: EnvoxySessionManager) -> Any:
    base = make_envoxy_base()

    class Gadget(base):
        name = Column(String(20))

    base.metadata.create_all(manager.engine)
    return Gadget


def test_default_key_and_validation(configured: Path) -> None:
    assert orm_session.get_default_server_key() == "local"
    assert orm_session.validate_server_key(None) == "local"
    with pytest.raises(
        DatabaseException, match="No psql server config for server_key: nope"
    ):
        orm_session.get_manager("nope")
    assert orm_session.get_manager() is orm_session.get_manager("local")


def test_session_scope_commits_and_rolls_back(configured: Path) -> None:
    Gadget = models(orm_session.get_manager())
    with orm_session.session_scope() as session:
        session.add(Gadget(name="kept"))
    with pytest.raises(RuntimeError), orm_session.session_scope() as session:
        session.add(Gadget(name="dropped"))
        session.flush()
        raise RuntimeError("boom")
    with orm_session.session_scope() as session:
        assert session.scalars(select(Gadget.name)).all() == ["kept"]


def test_transactional_resolves_at_call_time(configured: Path) -> None:
    Gadget = models(orm_session.get_manager("other"))

    @orm_session.transactional("other")
    def add(name: str, session: Session) -> str:
        gadget = Gadget(name=name)
        session.add(gadget)
        session.flush()
        return gadget.id

    gadget_id = add("x")
    with orm_session.session_scope("other") as session:
        assert session.get(Gadget, gadget_id).name == "x"
        assert add("y", session=session)  # an explicit session is used as is
    assert add.__name__ == "add"


def test_no_servers_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "envoxy.json"
    path.write_text("{}", encoding="utf-8")
    Config.configure(path, environ={})
    try:
        with pytest.raises(
            DatabaseException, match="No psql_servers configuration found"
        ):
            orm_session.get_default_server_key()
    finally:
        Config.reset()


def test_postgres_url_escapes_credentials() -> None:
    url = orm_session.server_url(
        {
            "host": "db",
            "port": "5433",
            "db": "app",
            "user": "svc",
            "passwd": "p@ss:w/rd",
        }
    )
    parsed = make_url(url)
    assert (parsed.password, parsed.host, parsed.port, parsed.database) == (
        "p@ss:w/rd",
        "db",
        5433,
        "app",
    )
    assert parsed.drivername == "postgresql+psycopg2"
    with pytest.raises(DatabaseException, match="Invalid psql server config"):
        orm_session.server_url({"port": "nope"})


def test_manager_needs_url_or_engine() -> None:
    with pytest.raises(ValueError, match="url or an engine"):
        EnvoxySessionManager()


def test_to_sa_text() -> None:
    assert to_sa_text("select * from t where a = %(a)s and b = %(b)s").text == (
        "select * from t where a = :a and b = :b"
    )
