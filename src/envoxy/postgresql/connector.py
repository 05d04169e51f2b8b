"""``psql_servers``: one engine per key (envoxy.postgresql.engines) serving
``pgsqlc`` and ORM sessions; readiness is ``SELECT 1`` through it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import text

from envoxy.connectors import Connector
from envoxy.db.orm import session as orm_session
from envoxy.postgresql import engines
from envoxy.postgresql.client import retry_policy
from envoxy.utils.config import Config


class PostgresConnector(Connector):
    name = "psql_servers"

    def parse(
        self, key: str, conf: Mapping[str, Any], config: Mapping[str, Any]
    ) -> None:
        engines.engine_options(key, conf)
        retry_policy(key, conf)

    def check(self, key: str, timeout: float) -> dict[str, Any]:
        conf = (Config.get(self.name) or {})[key]
        with engines.engine(key, conf).connect() as connection:
            return {"ok": connection.execute(text("SELECT 1")).scalar() == 1}

    def close(self, deadline: float) -> None:
        orm_session.dispose_all()  # the managers, then every engine's idle connections

    def after_fork(self) -> None:
        engines.forget_after_fork()


CONNECTOR = PostgresConnector()
