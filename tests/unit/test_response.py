"""Response: upstream's payload rules, HTTP headers, and WSGI compliance."""

from __future__ import annotations

import datetime as dt
import email.utils
from typing import Any
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest

from envoxy.views.containers import Response, http_date


def call_wsgi(
    app: Any, method: str = "GET"
) -> tuple[str, list[tuple[str, str]], bytes]:
    environ: dict[str, Any] = {"REQUEST_METHOD": method, "QUERY_STRING": ""}
    setup_testing_defaults(environ)
    captured: dict[str, Any] = {}

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Any:
        captured["status"], captured["headers"] = status, headers
        return lambda data: None

    body_iter = validator(app)(environ, start_response)
    try:
        body = b"".join(body_iter)
    finally:
        body_iter.close()
    return captured["status"], captured["headers"], body


def test_dict_envelope_payload_status_headers() -> None:
    resp = Response({"payload": {"a": 1}, "status": 201, "headers": {"X-Thing": "1"}})
    assert resp.status_code == 201
    assert resp.status == "201 CREATED"
    assert resp.get_json() == {"a": 1}
    assert resp.headers["X-Thing"] == "1"
    names = [name for name, _ in resp.headers]
    assert names == ["Content-Type", "Content-Length", "X-Thing", "Server", "Date"]
    assert resp.headers["Server"] == "Envoxy Server"


def test_dict_without_payload_is_the_body() -> None:
    resp = Response({"status": "ok", "x": 1})
    assert resp.status_code == 200  # a non-int status is data, not a status
    assert resp.get_json() == {"status": "ok", "x": 1}


def test_list_payload_is_wrapped() -> None:
    assert Response([{"a": 1}, {"a": 2}]).get_json() == {
        "elements": [{"a": 1}, {"a": 2}],
        "size": 2,
    }
    assert Response({"payload": []}).get_json() == {"elements": [], "size": 0}


def test_scalar_payload_is_json_not_dict_keys() -> None:
    # upstream sent the dict's keys ("payloadstatus"); we send the value as JSON.
    resp = Response({"payload": "text", "status": 202})
    assert resp.status_code == 202
    assert resp.get_data() == b'"text"'
    assert Response({"payload": None, "status": 204}).get_data() == b""


def test_explicit_status_and_mimetype() -> None:
    resp = Response("plain words", status=404, mimetype="text/plain")
    assert resp.status == "404 NOT FOUND"
    assert resp.content_type == "text/plain; charset=utf-8"
    assert resp.get_data(as_text=True) == "plain words"
    assert resp.get_json() is None


def test_datetimes_in_payload_use_the_api_format() -> None:
    resp = Response({"payload": {"at": dt.datetime(2025, 1, 2, 3, 4, 5, 678901)}})
    assert resp.get_data() == b'{"at":"2025-01-02T03:04:05.678+0000"}'


def test_date_header_is_rfc7231() -> None:
    value = Response({}).headers["Date"]
    assert value.endswith(" GMT")
    parsed = email.utils.parsedate_to_datetime(value)
    assert abs((parsed - dt.datetime.now(dt.UTC)).total_seconds()) < 5
    assert http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT"


def test_forwarded_headers_cannot_break_framing() -> None:
    reply = {
        "status": 200,
        "headers": {"Content-Length": "999", "Content-Type": "application/vnd+json"},
        "payload": {"a": 1},
    }
    resp = Response(reply)
    assert resp.headers.getlist("Content-Length") == [str(len(resp.get_data()))]
    assert resp.headers.getlist("Content-Type") == ["application/vnd+json"]
    assert resp.get_json() == {"a": 1}


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Evil": "a\r\nSet-Cookie: x=1"},
        {"X-Evil": "a\nb"},
        {"X-Evil": "a\x00b"},  # 12.8: NUL passed in values
        {"X-Evil\r\nSet-Cookie": "x=1"},  # 12.8: names were not checked
        {"X Evil": "1"},
        {"": "1"},
        {"X-Ok:": "1"},
    ],
)
def test_header_injection_is_refused(headers: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="header"):
        Response({"payload": {}, "headers": headers})
    with pytest.raises(ValueError, match="header"):
        Response({}, headers=headers)
    with pytest.raises(ValueError, match="header"):
        Response({}).headers.add(*next(iter(headers.items())))


@pytest.mark.parametrize(
    "status",
    ["200 OK\r\nSet-Cookie: x=1", "200 OK\nX: 1", "200 O\x00K", "20 OK", "2000", 42],
)
def test_status_line_injection_is_refused(status: Any) -> None:
    """12.8: the status text was not checked for CR/LF."""
    with pytest.raises(ValueError, match="status"):
        Response({}, status=status)


def test_good_headers_and_statuses_pass() -> None:
    reply = Response({}, status="299 Custom Reason", headers={"X-T": "a\tb"})
    assert reply.status == "299 Custom Reason" and reply.headers["X-T"] == "a\tb"
    assert Response({}, status=599).status == "599 UNKNOWN"


def test_cookies_from_envelope() -> None:
    resp = Response(
        {
            "payload": {},
            "cookies": [
                {"key": "sid", "value": "abc", "httponly": True, "max_age": 60}
            ],
        }
    )
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("sid=abc")
    assert "HttpOnly" in cookie
    assert "Max-Age=60" in cookie


def test_wsgi_round_trip_passes_the_validator() -> None:
    status, headers, body = call_wsgi(
        Response({"payload": {"ok": True}, "status": 200})
    )
    assert status == "200 OK"
    assert body == b'{"ok":true}'
    assert ("Content-Length", str(len(body))) in headers


def test_wsgi_head_has_no_body() -> None:
    status, _headers, body = call_wsgi(
        Response({"payload": {"ok": True}}), method="HEAD"
    )
    assert status == "200 OK"
    assert body == b""


def test_force_type_and_repr() -> None:
    resp = Response({"payload": {}})
    assert Response.force_type(resp) is resp
    assert Response.force_type([1]).get_json() == {"elements": [1], "size": 1}
    assert "200 OK" in repr(resp)


def test_set_data_updates_length() -> None:
    resp = Response({})
    resp.set_data(b'{"x":1}')
    assert resp.headers["Content-Length"] == "7"


def test_bad_status_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="invalid HTTP status"):
        Response({}, status="abc")
