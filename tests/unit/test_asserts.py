"""envoxy.asserts: upstream's checks, codes and messages, with the fixes we chose."""

from __future__ import annotations

import datetime as dt
import inspect
import uuid
from typing import Any

import pytest

from envoxy import asserts as a
from envoxy.exceptions import ValidationException

PAYLOAD: dict[str, Any] = {
    "username": "",
    "password": "secret",
    "application_ids": [1, 2, 3],
    "age": 40,
    "value": 30.5,
    "active": True,
    "features": None,
    "created": "2018-01-18T16:07:01.970+0000",
    "headers": '{"a": 1}',
    "unique_id": str(uuid.uuid4()),
    "user": {
        "alias": "李连杰",
        "icon": "\ud83d",
        "email": "a.b+c@example.com",
        "phone": "7362391957",
        "cellphone": "(875) 837-6945",
        "home": [59.29954, 169.92246],
        "work": {"latitude": 5, "longitude": 14},
    },
    "hash": "a" * 45,
    "website": "https://example.com/x?y#z",
    "zero": 0,
    "fzero": 0.0,
}


def fails(check: Any, *args: Any, **kwargs: Any) -> ValidationException:
    with pytest.raises(ValidationException) as info:
        check(*args, **kwargs)
    return info.value


def test_assertz_core() -> None:
    assert a.assertz(True, "x") is None
    err = fails(a.assertz, False, "bad thing", 1234, 400)
    assert str(err) == "bad thing"
    assert err.kwargs == {"code": 1234, "status": 400}
    assert (err.code, err.status) == (1234, 400)


def test_mandatory() -> None:
    assert a.assertz_mandatory(PAYLOAD, "username") is None  # "" is present
    assert a.assertz_mandatory(PAYLOAD, "zero") is None
    err = fails(a.assertz_mandatory, PAYLOAD, "features")
    assert str(err) == "Mandatory: features"
    assert err.kwargs == {"code": 1200, "status": 412}
    err = fails(a.assertz_mandatory, PAYLOAD, "")
    assert str(err) == "Key must not be emtpy"
    assert err.kwargs["code"] == 1201
    for obj in ({}, [], False, 0, 0.0, "string", None):
        assert str(fails(a.assertz_mandatory, obj, "data")) == "Mandatory: data"
    assert a.assertz_mandatory({"data": ""}, "data") is None
    assert a.assertz_mandatory([1, 2, 3], 1) is None
    assert (
        str(fails(a.assertz_mandatory, [1, 2, 3], 3)) == "Mandatory: 3"
    )  # no IndexError
    assert str(fails(a.assertz_mandatory, {})) == "Mandatory: {}"


@pytest.mark.parametrize(
    ("check", "ok_key", "bad_key"),
    [
        (a.assertz_string, "password", "age"),
        (a.assertz_integer, "age", "value"),
        (a.assertz_float, "value", "age"),
        (a.assertz_boolean, "active", "age"),
        (a.assertz_timestamp, "created", "password"),
        (a.assertz_array, "application_ids", "age"),
        (a.assertz_dict, "user", "age"),
        (a.assertz_json, "headers", "password"),
        (a.assertz_complex, "user", "age"),
        (a.assertz_uuid, "unique_id", "password"),
    ],
)
def test_type_checks(check: Any, ok_key: str, bad_key: str) -> None:
    assert check(PAYLOAD, ok_key) is None
    err = fails(check, PAYLOAD, bad_key)
    assert str(err) == f"Invalid value type: {PAYLOAD[bad_key]}"
    assert err.kwargs == {"code": 1202, "status": 412}
    assert check(None) is None  # absent element: nothing to check
    reply = check(PAYLOAD, bad_key, 7, 400, True)
    assert reply["status"] == 400
    assert reply["payload"]["code"] == 7
    assert reply["payload"]["text"] == f"Invalid value type: {PAYLOAD[bad_key]}"
    assert check.__name__ in reply["payload"]["assertion_failed"]


def test_number_fixes() -> None:
    assert a.assertz_integer(0) is None  # upstream rejected 0
    assert a.assertz_float(0.0) is None
    assert a.assertz_integer(PAYLOAD, "zero") is None
    fails(a.assertz_integer, True)  # a bool is not an integer
    fails(a.assertz_integer, "5")  # ValidationException, not TypeError
    fails(a.assertz_float, 1)
    err = fails(a.assertz_integer, PAYLOAD, "nope")  # missing key: no KeyError
    assert str(err).startswith("Invalid value type:")


def test_timestamps() -> None:
    assert a.assertz_timestamp("2018-01-18T16:07:01.970+0000") is None
    assert a.assertz_timestamp(dt.datetime(2020, 1, 1)) is None
    assert a.assertz_timestamp({"t": dt.datetime(2020, 1, 1)}, "t") is None
    fails(a.assertz_timestamp, "2018-01-18T16:07:01+0000")


def test_containers_and_json() -> None:
    fails(a.assertz_array, [])
    fails(a.assertz_array, (1,))
    assert a.assertz_array_even_empty([]) is None
    fails(a.assertz_dict, {})
    for text in ("{}", "[]", "0", "null", "{bad"):
        fails(a.assertz_json, text)
    for text in ("1", '"s"', '{"a":1}'):
        assert a.assertz_json(text) is None
    fails(a.assertz_json, {"a": 1})
    assert a.assertz_complex('{"a":1}') is None
    assert a.assertz_complex([1]) is None
    assert (
        str(fails(a.assertz_array, PAYLOAD, "missing")) == "Invalid value type: missing"
    )


def test_uuid_forms() -> None:
    value = uuid.uuid4()
    for form in (
        str(value),
        value.hex,
        "{" + str(value) + "}",
        "urn:uuid:" + str(value),
        value,
    ):
        assert a.assertz_uuid(form) is None
    fails(a.assertz_uuid, "not-a-uuid")


def test_encodings() -> None:
    assert a.assertz_utf8(PAYLOAD["user"], "alias") is None
    assert (
        str(fails(a.assertz_utf8, PAYLOAD["user"], "icon")) == "Invalid utf-8 encoding"
    )
    fails(a.assertz_utf8, "")
    assert a.assertz_ascii("abc") is None
    assert str(fails(a.assertz_ascii, "李")) == "Invalid ascii encoding"


@pytest.mark.parametrize(
    ("check", "good", "bad", "message"),
    [
        (a.assertz_hash, "a" * 45, "a" * 44, "Invalid hash"),
        (a.assertz_token, "a1" * 64, "A1" * 64, "Invalid token"),
        (a.assertz_email, "a.b+c@example.com", "no-at.example.com", "Invalid email"),
        (a.assertz_url, "mailto:a@b.c", "example.com", "Invalid url"),
        (a.assertz_phone, "7362391957", "(875) 837-6945", "Invalid phone"),
        (a.assertz_uri, "/any/path", 5, "Invalid uri"),
    ],
)
def test_pattern_checks(check: Any, good: str, bad: Any, message: str) -> None:
    assert check(good) is None
    assert str(fails(check, bad)) == message
    assert check(bad, None, 1202, 412, True)["payload"]["text"] == message


@pytest.mark.parametrize(
    "check", [a.assertz_hash, a.assertz_token, a.assertz_email, a.assertz_phone]
)
def test_partial_match_honours_reply(check: Any) -> None:
    good = {
        "assertz_hash": "a" * 45,
        "assertz_token": "a1" * 64,
        "assertz_email": "a@b.co",
        "assertz_phone": "7362391957",
    }[check.__name__]
    # upstream raised here even with reply=True
    assert check(good + " !!", None, 1202, 412, True)["status"] == 412


def test_regex_with_key() -> None:
    assert a.assertz_regex(r"[0-9]+", "digits", {"n": "123"}, "n") is None
    assert (
        str(fails(a.assertz_regex, r"[0-9]+", "digits", {"n": "12a"}, "n")) == "digits"
    )


def test_location() -> None:
    assert a.assertz_location(PAYLOAD["user"], "home") is None
    assert a.assertz_location(PAYLOAD["user"], "work") is None
    for bad in (["1", "2"], [1], [1, 2, 3], {"latitude": 1}, [True, 1]):
        assert str(fails(a.assertz_location, bad)) == "Invalid location"


def test_relations_and_permissions() -> None:
    assert a.assertz_intersects([1, 2], [2, 3]) is None
    assert (
        str(fails(a.assertz_intersects, [1], [2]))
        == "No intersection between [1] and [2]"
    )
    err = fails(a.assertz_unauthorized, False, "no entry")
    assert err.kwargs["status"] == 401
    assert a.assertz_valid_values(True, "x") is None
    fails(a.assertz_valid_values, False, "x")


def test_reply_variants_are_positional_and_never_walk_the_stack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("reply variants must not walk the stack")

    monkeypatch.setattr(inspect, "stack", forbidden)
    reply = a.assertz_mandatory_reply({}, "x", 1000, 400)
    assert reply["status"] == 400
    assert reply["payload"]["code"] == 1000
    assert reply["payload"]["text"] == "Mandatory: x"
    assert a.assertz_mandatory_reply({"x": 1}, "x", 1000, 400) is None
    assert a.assertz_unauthorized_reply(False, "no", 9)["status"] == 401
    assert a.assertz_intersects_reply([1], [2], 5, 409)["status"] == 409
    assert (
        a.assertz_valid_values_reply(False, "bad", 5, 422)["payload"]["text"] == "bad"
    )


def test_every_reply_variant_exists() -> None:
    names = [
        "mandatory",
        "string",
        "integer",
        "float",
        "timestamp",
        "boolean",
        "complex",
        "dict",
        "json",
        "array",
        "uuid",
        "utf8",
        "ascii",
        "hash",
        "token",
        "uri",
        "email",
        "location",
        "phone",
        "intersects",
        "valid_values",
        "unauthorized",
    ]
    for name in names:
        assert callable(getattr(a, f"assertz_{name}_reply"))
    assert set(a.__all__) <= set(dir(a))
