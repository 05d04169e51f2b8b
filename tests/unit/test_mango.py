"""Mango query building from upstream-style params."""

from __future__ import annotations

import pytest

from envoxy.couchdb.mango import build_query
from envoxy.exceptions import ValidationException


def test_operators_merge_per_field_and_keep_plain_keys() -> None:
    params = {
        "age__gt": 5,
        "age__lt": 9,
        "name": "x",
        "x__foo": 1,
        "page_size": 10,
        "page_start_index": 20,
        "order_by": "-age,+name",
    }
    assert build_query(params, ["_id"]) == {
        "selector": {"age": {"$gt": 5, "$lt": 9}, "name": "x", "x__foo": 1},
        "limit": 10,
        "skip": 20,
        "sort": [{"age": "desc"}, {"name": "asc"}],
        "fields": ["_id"],
    }


def test_equality_and_operator_on_one_field() -> None:
    assert build_query({"a": 1, "a__ne": 2})["selector"] == {"a": {"$eq": 1, "$ne": 2}}


def test_empty_and_none() -> None:
    assert build_query(None) == {"selector": {}}
    assert build_query({"page_size": 0, "order_by": ""}) == {"selector": {}}


@pytest.mark.parametrize(
    "params",
    [
        {"a__in": "x"},
        {"a__exists": "yes"},
        {"page_size": -1},
        {"page_start_index": "two"},
        ["a"],
    ],
)
def test_bad_params(params: object) -> None:
    with pytest.raises(ValidationException):
        build_query(params)  # type: ignore[arg-type]
