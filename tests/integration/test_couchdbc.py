"""couchdbc against the CouchDB stand-in: Mango filters, documents, a restart."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from envoxy import couchdbc
from envoxy.couchdb.client import Client, CouchDBUnavailable
from envoxy.exceptions import DatabaseException, ValidationException
from envoxy.utils.config import Config
from tests.faults import TcpProxy, proxy_fixture
from tests.services import Service


def _raw(service: Service, method: str, path: str) -> None:
    request = urllib.request.Request(f"http://{service.address}{path}", method=method)
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - loopback only
        pass


proxy = proxy_fixture("couchdb_service")


@pytest.fixture
def db(couchdb_service: Service, proxy: TcpProxy, tmp_path: Path) -> Iterator[str]:
    name = f"envoxy_{uuid.uuid4().hex[:8]}"
    _raw(couchdb_service, "PUT", f"/{name}")
    conf = {
        "couchdb_servers": {
            "main": {"bind": f"http://{couchdb_service.address}"},
            "proxied": {
                "bind": f"http://{proxy.address}",
                "timeout": 2,
                "connect_timeout": 1,
            },
        }
    }
    path = tmp_path / "envoxy.json"
    path.write_text(json.dumps(conf), encoding="utf-8")
    Config.configure(path, environ={})
    Client.reset_instance()
    docs = [
        {
            "_id": f"d{n}",
            "n": n,
            "kind": "even" if n % 2 == 0 else "odd",
            "tag": f"t{n}",
        }
        for n in range(10)
    ]
    couchdbc.post(f"main.{name}", {"docs": docs})
    yield name
    _raw(couchdb_service, "DELETE", f"/{name}")
    Client.instance().close()
    Client.reset_instance()
    Config.reset()


def test_operator_filters_reach_the_right_fields(db: str) -> None:
    params = {"n__gt": 2, "n__lte": 8, "kind__in": ["even"]}
    original = dict(params)
    docs = couchdbc.find(db=f"main.{db}", params=params)
    assert sorted(doc["n"] for doc in docs) == [4, 6, 8]
    assert params == original  # the caller's dict is untouched


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "odd", "n__ne": 1}, [3, 5, 7, 9]),
        ({"n__nin": [0, 1, 2, 3, 4, 5, 6, 7]}, [8, 9]),
        ({"tag__regex": "^t[12]$"}, [1, 2]),
        ({"missing__exists": False, "n__lt": 2}, [0, 1]),
        ({"n__eq": 3}, [3]),
    ],
)
def test_each_operator(db: str, params: dict, expected: list[int]) -> None:
    assert (
        sorted(doc["n"] for doc in couchdbc.find(db=f"main.{db}", params=params))
        == expected
    )


def test_fields_paging_and_order(db: str) -> None:
    client = Client.instance()
    server, url = client._locate(f"main.{db}")
    client.request(server, "POST", f"{url}/_index", {"index": {"fields": ["n"]}})
    docs = couchdbc.find(
        db=f"main.{db}",
        fields=["_id", "n"],
        params={"n__gte": 0, "order_by": "-n", "page_size": 3, "page_start_index": 2},
    )
    assert [doc["n"] for doc in docs] == [7, 6, 5]
    assert all(set(doc) == {"_id", "n"} for doc in docs)


def test_get_and_post(db: str) -> None:
    created = couchdbc.post(f"main.{db}", {"_id": "a/b c?", "value": 1})
    assert created["ok"] is True
    assert couchdbc.get("a/b c?", db=f"main.{db}")["value"] == 1  # the id is URL-quoted
    assert couchdbc.get("../_all_docs", db=f"main.{db}") == {}  # no path tricks
    assert couchdbc.get("nope", db=f"main.{db}") == {}


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda db: couchdbc.find(db="nodot"),
            DatabaseException,
            "server_key>.<database>",
        ),
        (
            lambda db: couchdbc.find(db=f"other.{db}"),
            DatabaseException,
            "couchdb server key: other",
        ),
        (
            lambda db: couchdbc.find(db=f"main.{db}", params={"n__in": 3}),
            ValidationException,
            "needs a list",
        ),
        (
            lambda db: couchdbc.find(db=f"main.{db}", params={"page_size": "x"}),
            ValidationException,
            "whole number",
        ),
        (
            lambda db: couchdbc.find(db="main.no_such_db_x"),
            DatabaseException,
            "HTTP 404",
        ),
        (
            lambda db: couchdbc.post(f"main.{db}", ["not", "an", "object"]),
            DatabaseException,
            "JSON object",
        ),
    ],
)
def test_bad_input(db: str, call, error, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call(db)


def test_recovers_after_couchdb_goes_away(db: str, proxy: TcpProxy) -> None:
    assert len(couchdbc.find(db=f"proxied.{db}", params={"n__lt": 3})) == 3
    proxy.stop()
    started = time.monotonic()
    with pytest.raises(CouchDBUnavailable, match="'proxied'"):
        couchdbc.find(db=f"proxied.{db}", params={"n__lt": 3})
    assert time.monotonic() - started < 15
    proxy.start()
    assert len(couchdbc.find(db=f"proxied.{db}", params={"n__lt": 3})) == 3
