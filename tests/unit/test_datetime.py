"""envoxy.utils.datetime: Now, Format and the formatters."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from envoxy.utils.datetime import (
    Format,
    Now,
    api_format,
    coerce_datetime,
    format_iso,
    format_rfc1123,
    format_strftime,
    format_unix,
)

API = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")
MOMENT = dt.datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)


def test_now() -> None:
    assert API.match(Now.api_format())
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$", Now.log_format())
    assert isinstance(Now.timestamp(), int)
    assert Now.to_datetime("2018-01-18T16:07:01.970+0000") == dt.datetime(
        2018, 1, 18, 16, 7, 1, 970000
    )
    assert Now.to_datetime("garbage") is None


def test_coerce() -> None:
    assert coerce_datetime(None) is None
    assert coerce_datetime(dt.date(2020, 1, 2)) == dt.datetime(
        2020, 1, 2, tzinfo=dt.UTC
    )
    assert coerce_datetime("2020-01-02T03:04:05Z") == dt.datetime(
        2020, 1, 2, 3, 4, 5, tzinfo=dt.UTC
    )
    assert coerce_datetime("2018-01-18T16:07:01.970+0000").tzinfo is not None
    with pytest.raises(TypeError):
        coerce_datetime(5)
    with pytest.raises(ValueError):
        coerce_datetime("not a date")


def test_format_iso() -> None:
    assert format_iso(MOMENT) == "2025-01-02T03:04:05.679Z"
    assert format_iso(MOMENT, fractional=0) == "2025-01-02T03:04:06Z"
    assert format_iso(MOMENT, fractional=None) == "2025-01-02T03:04:05.678901Z"
    assert (
        format_iso(MOMENT.replace(microsecond=0), fractional=None)
        == "2025-01-02T03:04:05Z"
    )
    assert (
        format_iso(MOMENT, tz="Europe/Lisbon") == "2025-01-02T03:04:05.679Z"
    )  # winter: offset 0
    assert format_iso(MOMENT, tz="Asia/Kolkata") == "2025-01-02T08:34:05.679+05:30"


def test_format_iso_rounding_carries_into_seconds() -> None:
    # upstream printed .000 of the same second here
    value = dt.datetime(2025, 1, 2, 3, 4, 5, 999600, tzinfo=dt.UTC)
    assert format_iso(value) == "2025-01-02T03:04:06.000Z"
    assert (
        format_iso(dt.datetime(2025, 12, 31, 23, 59, 59, 999999), fractional=3)
        == "2026-01-01T00:00:00.000Z"
    )


def test_other_formats() -> None:
    assert format_rfc1123(MOMENT) == "Thu, 02 Jan 2025 03:04:05 GMT"
    assert format_unix(MOMENT) == int(MOMENT.timestamp())
    assert format_unix(MOMENT, ms=True) == int(MOMENT.timestamp() * 1000)
    assert format_strftime(MOMENT, "%Y/%m/%d") == "2025/01/02"
    assert Format.custom(MOMENT) == "2025-01-02 03:04:05"
    assert Format.api_format(MOMENT) == "2025-01-02T03:04:05.678+0000"
    assert (
        Format.api_format(
            dt.datetime(2025, 1, 2, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
        )
        == "2025-01-02T03:00:00.000+0000"
    )
    assert Format.parse("2025-01-02") == dt.datetime(2025, 1, 2, tzinfo=dt.UTC)


def test_api_format_styles_and_errors() -> None:
    assert api_format(MOMENT) == "2025-01-02T03:04:05.679Z"
    assert api_format(MOMENT, style="rfc1123").endswith("GMT")
    assert api_format(MOMENT, style="unix", unix_ms=True) == int(
        MOMENT.timestamp() * 1000
    )
    assert api_format(MOMENT, style="strftime", fmt="%H") == "03"
    assert api_format(MOMENT, as_object=True) == MOMENT
    with pytest.raises(ValueError, match="unsupported style"):
        api_format(MOMENT, style="nope")
    with pytest.raises(ValueError, match="fmt is required"):
        api_format(MOMENT, style="strftime")
    with pytest.raises(ValueError, match="Could not coerce datetime from"):
        Format.api_format(object())
    with pytest.raises(ValueError, match="Could not parse datetime from"):
        Format.parse("tomorrow-ish")
