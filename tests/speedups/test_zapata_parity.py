"""The Zapata codec: golden frames, both builds agreeing, a decoder fuzz.

The golden files in tests/golden/zapata are written by hand from the format in
docs/ZEROMQ.md (the first is upstream's own captured request), not produced by
this codec.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from envoxy.zeromq.errors import ZapataEncodeError, ZapataError

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "zapata"

REQUEST_CASES: dict[str, dict[str, Any]] = {
    "request-upstream-capture.bin": {
        "resource": "/v3/data-layer/cards",
        "performative": 0,
        "params": {"page_size": 1},
        "payload": None,
        "headers": [("X-Custom", "1")],
        "client_id": "1f2ce823-2262-40d4-a30e-bd9f9c418806",
        "date": "2026-11-23T08:15:03.907+0000",
    },
    "request-override-unicode.bin": {
        "resource": "/v3/data-layer/pessoas/ção",
        "performative": 2,
        "params": None,
        "payload": {
            "nome": "João",
            "tags": ["á", "€", "\U0001f600"],
            "n": 2**64,
            "f": 1.5,
            "none": None,
        },
        "headers": {"User-Agent": "curl/8.0", "Authorization": "Bearer t"},
        "client_id": "00000000-0000-4000-8000-000000000000",
        "date": "2024-02-29T23:59:59.999+0000",
    },
    "request-multidict-nan.bin": {
        "resource": "/v3/things",
        "performative": 6,
        "params": MultiDict([("a", "1"), ("a", "2"), ("b", "x")]),
        "payload": [
            1,
            float("nan"),
            -(2**63),
            dt.datetime(2024, 1, 2, 3, 4, 5, 678999, tzinfo=dt.UTC),
        ],
        "headers": None,
        "client_id": "c0ffee00-0000-4000-8000-00000000beef",
        "date": "1970-01-01T00:00:00.000+0000",
    },
}

REPLY_CASES: dict[str, dict[str, Any]] = {
    "reply-collection.bin": {
        "status": 200,
        "resource": "/v3/data-layer/cards",
        "headers": {"Content-Type": "application/json"},
        "payload": {"elements": [{"id": "a", "name": "Zé"}], "size": 1},
    },
    "reply-error.bin": {
        "status": 404,
        "resource": "/v3/x",
        "payload": {"text": "not found", "code": 1404},
    },
}


@pytest.mark.parametrize("name", sorted(REQUEST_CASES))
def test_golden_requests(impl: Any, name: str) -> None:
    case = REQUEST_CASES[name]
    body = impl.zapata.encode_request(**case)
    assert body == (GOLDEN / name).read_bytes()
    assert list(json.loads(body)) == [
        "resource",
        "headers",
        "params",
        "payload",
        "performative",
    ]


@pytest.mark.parametrize("name", sorted(REPLY_CASES))
def test_golden_replies(impl: Any, name: str) -> None:
    assert impl.zapata.decode_reply((GOLDEN / name).read_bytes()) == REPLY_CASES[name]


def test_golden_server_reply(impl: Any) -> None:
    body = impl.zapata.encode_reply(
        "/v3/things/1",
        200,
        {"id": 1},
        {"X-Cid": "1f2ce823-2262-40d4-a30e-bd9f9c418806"},
    )
    assert body == (GOLDEN / "reply-envoxy.bin").read_bytes()


def test_fresh_headers(impl: Any) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    headers = impl.zapata.generate_headers()
    after = dt.datetime.now(dt.UTC)
    assert list(headers) == ["Accept", "Accept-Charset", "Date", "User-Agent", "X-Cid"]
    sent = dt.datetime.strptime(headers["Date"], "%Y-%m-%dT%H:%M:%S.%f%z")
    assert before <= sent <= after
    assert uuid.UUID(headers["X-Cid"]).version == 4
    assert impl.zapata.generate_headers("given")["X-Cid"] == "given"


def test_cids_are_uuid4_and_unique(impl: Any) -> None:
    cids = [impl.zapata.new_cid() for _ in range(20_000)]
    assert len(set(cids)) == len(cids)
    for cid in cids[:500]:
        parsed = uuid.UUID(cid)
        assert str(parsed) == cid and parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_forked_child_draws_its_own_cids(impl: Any) -> None:
    impl.zapata.new_cid()  # the parent has unread random bytes buffered now
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report one cid and leave at once
        os.write(write, impl.zapata.new_cid().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert child not in {impl.zapata.new_cid() for _ in range(4)}


@given(st.binary(min_size=16, max_size=16))
def test_cid_text_like_uuid(impl: Any, raw: bytes) -> None:
    assert impl.zapata.format_cid(raw) == str(uuid.UUID(bytes=raw, version=4))


@given(st.integers(0, 253402300799999))
def test_date_text_like_strftime(impl: Any, epoch_ms: int) -> None:
    moment = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
        milliseconds=epoch_ms
    )
    expected = moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"
    assert impl.zapata.format_date(epoch_ms) == expected


@pytest.mark.parametrize("bad", [-1, 253402300800000, 1.5, "1", None])
def test_date_out_of_range(impl: Any, bad: Any) -> None:
    with pytest.raises(ValueError):
        impl.zapata.format_date(bad)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(
    st.text(),
    st.integers(0, 11),
    json_values,
    json_values,
    st.dictionaries(st.text(max_size=12), st.text(max_size=12), max_size=4)
    | st.lists(st.tuples(st.text(max_size=5), st.text(max_size=5)), max_size=3),
)
def test_builds_agree(
    both: Any,
    resource: str,
    performative: int,
    params: Any,
    payload: Any,
    headers: Any,
) -> None:
    """Same bytes from both builds, or the same typed error (lone surrogates)."""
    args = (resource, performative, params, payload, headers, "cid", "date")
    outcomes = []
    for build in both:
        try:
            outcomes.append(build.zapata.encode_request(*args))
        except ZapataEncodeError as exc:
            outcomes.append(type(exc))
    assert outcomes[0] == outcomes[1]
    if isinstance(outcomes[0], bytes):
        message = json.loads(outcomes[0])
        assert message["resource"] == resource
        assert message["headers"]["X-Cid"] == dict(
            {"X-Cid": "cid"}, **dict(headers or {})
        ).get("X-Cid")


def test_unserializable_payload_fails_at_once(impl: Any) -> None:
    with pytest.raises(ZapataEncodeError, match="cannot serialize"):
        impl.zapata.encode_request("/x", 2, None, {"obj": object()})
    assert issubclass(ZapataEncodeError, TypeError)


@given(st.binary(max_size=300))
def test_decoder_fuzz_random_bytes(impl: Any, body: bytes) -> None:
    for decode in (impl.zapata.decode_reply, impl.zapata.decode_request):
        try:
            result = decode(body)
        except ZapataError:
            continue
        assert isinstance(result, dict)


@pytest.mark.parametrize("name", sorted(REQUEST_CASES) + sorted(REPLY_CASES))
def test_truncated_frames_give_typed_errors(impl: Any, name: str) -> None:
    body = (GOLDEN / name).read_bytes()
    for cut in range(len(body)):
        for decode in (impl.zapata.decode_reply, impl.zapata.decode_request):
            with pytest.raises(ZapataError):
                decode(body[:cut])


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'"text"',
        b"null",
        b'{"resource": 1, "performative": 0}',
        b'{"resource": "/x"}',
        b'{"resource": "/x", "performative": 12}',
        b'{"resource": "/x", "performative": true}',
        b'{"resource": "/x", "performative": 0, "headers": []}',
        b"\xff\xfe",
    ],
)
def test_malformed_requests(impl: Any, body: bytes) -> None:
    with pytest.raises(ZapataError):
        impl.zapata.decode_request(body)


def test_request_round_trip(impl: Any) -> None:
    body = impl.zapata.encode_request("/v3/a", 1, {"q": 1}, {"p": [1]})
    request = impl.zapata.decode_request(body)
    assert request["resource"] == "/v3/a" and request["performative"] == 1
    assert request["params"] == {"q": 1} and request["payload"] == {"p": [1]}
    assert impl.zapata.decode_request(b'{"resource":"/","performative":0}') == {
        "resource": "/",
        "performative": 0,
        "headers": {},
    }


def test_non_bytes_input(impl: Any) -> None:
    with pytest.raises(ZapataError):
        impl.zapata.decode_reply(None)
    with pytest.raises(ValueError):
        impl.zapata.format_cid(b"short")
