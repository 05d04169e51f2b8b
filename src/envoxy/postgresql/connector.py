"""``psql_servers``: one engine per key (envoxy.postgresql.engines) serving
``pgsqlc`` and ORM sessions; readiness is ``SELECT 1`` through it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from envoxy.connectors import Connector


class PostgresConnector(Connector):
    name = "psql_servers"

    def parse(
        self, key: str, conf: Mapping[str, Any], config: Mapping[str, Any]
    ) -> None:
        from envoxy.postgresql.engines import engine_options

        engine_options(key, conf)

    def check(self, key: str, timeout: float) -> dict[str, Any]:
        from sqlalchemy import text

        from envoxy.postgresql.engines import engine
        from envoxy.utils.config import Config

        conf = (Config.get(self.name) or {})[key]
        with engine(key, conf).connect() as connection:
            return {"ok": connection.execute(text("SELECT 1")).scalar() == 1}

    def close(self) -> None:
        from envoxy.db.orm.session import dispose_all

        dispose_all()  # the managers, then every engine's idle connections

    def after_fork(self) -> None:
        from envoxy.postgresql.engines import forget_after_fork

        forget_after_fork()


CONNECTOR = PostgresConnector()
