"""What the design documents show, verbatim (issue 14.8), under a real
envoxyd: ``@on(route=...)``, ``uwsgi.opt.get("conf_content")``,
``pgsqlc.session(key)``, ``zmqc.send(key, message)``."""

from __future__ import annotations

from pathlib import Path

import pytest

from envoxy import pgsqlc, zmqc
from envoxy.db.orm import session as orm_session
from envoxy.exceptions import ValidationException
from envoxy.postgresql.client import Client as PgClient
from envoxy.utils.config import Config
from envoxy.zeromq.dispatcher import ZMQ
from tests.daemon import Daemon, free_port
from tests.services import Service

pytestmark = pytest.mark.integration

VIEWS = """
from envoxy import View, on


@on(route="/api/v1/products", protocols=["http"])
class Products(View):
    def get(self, request):
        import uwsgi  # inside uWSGI only (the preflight imports this module)

        conf = uwsgi.opt.get("conf_content")
        return {"products": [], "service": conf["boot"][0]["name"]}


@on(endpoint="/v3/echo/{word}", protocols=["zmq"])
class Echo(View):
    def get(self, request, word):
        return {"word": word}


__loader__ = [Products, Echo]
"""


def test_route_and_conf_content_and_zmqc_send(tmp_path: Path) -> None:
    port = free_port()
    conf = {
        "boot": [{"name": "shop"}],
        "zmq_server": {"bind": f"tcp://127.0.0.1:{port}"},
    }
    daemon = Daemon(tmp_path, conf, VIEWS).start()
    try:
        status, _, body = daemon.get("/api/v1/products")
        assert (status, body) == (200, {"products": [], "service": "shop"})
        Config.configure(
            environ={},
            cli={"zmq_servers": {"shop": {"host": "127.0.0.1", "port": port}}},
        )
        ZMQ.reset_instance()
        reply = zmqc.send("shop", {"resource": "/v3/echo/hi", "performative": 0})
        assert reply["status"] == 200 and reply["payload"] == {"word": "hi"}
        with pytest.raises(
            ValidationException, match=r"zmqc\.send message\.performative"
        ):
            zmqc.send("shop", {"resource": "/v3/echo/hi", "performative": 99})
    finally:
        zmqc.shutdown()
        Config.reset()
        assert daemon.stop() == 0


def test_pgsqlc_session(postgres_service: Service) -> None:
    from sqlalchemy import text

    host, _, port = postgres_service.address.rpartition(":")
    Config.configure(
        environ={},
        cli={
            "psql_servers": {
                "main": {"url": f"postgresql://postgres@{host}:{port}/test"}
            }
        },
    )
    PgClient.reset_instance()
    try:
        with pgsqlc.session("main") as session:
            assert session.execute(text("select 6 * 7")).scalar() == 42
    finally:
        orm_session.dispose_all()
        Config.reset()
