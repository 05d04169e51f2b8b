"""Date and time helpers: ``Now`` (current time in envoxy's formats) and formatters.

The API format is UTC ``YYYY-MM-DDTHH:MM:SS.mmm+0000`` (milliseconds
truncated), the same string the JSON encoder writes for datetimes.
"""

from __future__ import annotations

import datetime as _dt
import time
from email.utils import format_datetime as _email_format_datetime
from typing import Any
from zoneinfo import ZoneInfo

from envoxy.utils.encoders import format_api_datetime

__all__ = [
    "Format",
    "Now",
    "api_format",
    "coerce_datetime",
    "format_iso",
    "format_rfc1123",
    "format_strftime",
    "format_unix",
]

API_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+0000"
LOG_FORMAT = "%Y-%m-%dT%H:%M:%S"
_UTC = _dt.UTC
_STYLES = ("iso", "rfc1123", "unix", "strftime")

TzLike = str | _dt.tzinfo | None


def _zone(tz: TzLike) -> _dt.tzinfo | None:
    if tz is None or isinstance(tz, _dt.tzinfo):
        return tz
    if tz.upper() in ("UTC", "Z", "GMT"):
        return _UTC
    return ZoneInfo(tz)


class Now:
    """The current time in the formats envoxy uses."""

    @staticmethod
    def log_format() -> str:
        return _dt.datetime.now(_UTC).strftime(LOG_FORMAT)

    @staticmethod
    def api_format() -> str:
        """``2026-11-23T08:15:03.907+0000``."""
        return format_api_datetime(_dt.datetime.now(_UTC))

    @staticmethod
    def timestamp() -> int:
        return int(time.time())

    @staticmethod
    def to_datetime(value: str, format_str: str = API_FORMAT) -> _dt.datetime | None:
        """Parse ``value`` with ``format_str``; ``None`` when it does not match."""
        try:
            return _dt.datetime.strptime(value, format_str)
        except (TypeError, ValueError):
            return None


def coerce_datetime(value: Any, assume_tz: TzLike = "UTC") -> _dt.datetime | None:
    """An aware datetime from a date, datetime or ISO-like string.

    Naive values are taken to be in ``assume_tz``."""
    if value is None:
        return None
    zone = _zone(assume_tz) or _UTC
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day, tzinfo=zone)
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = _dt.datetime.fromisoformat(text)
        except ValueError:
            fallback = Now.to_datetime(value.strip())
            if fallback is None:
                raise
            parsed = fallback.replace(tzinfo=_UTC)
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)
    raise TypeError("value must be None, date, datetime or ISO-like string")


def _now_or(dt: Any, assume_tz: TzLike) -> _dt.datetime:
    value = coerce_datetime(dt, assume_tz) if dt is not None else _dt.datetime.now(_UTC)
    assert value is not None  # noqa: S101 - only None maps to None above
    return value


def _round_fraction(value: _dt.datetime, digits: int) -> tuple[_dt.datetime, str]:
    """Round microseconds to ``digits`` places, carrying into the seconds."""
    if digits <= 0:
        rounded = (value.microsecond + 500_000) // 1_000_000
        return value.replace(microsecond=0) + _dt.timedelta(seconds=rounded), ""
    digits = min(digits, 6)
    step = 10 ** (6 - digits)
    units = (value.microsecond + step // 2) // step
    if units * step >= 1_000_000:
        return value.replace(microsecond=0) + _dt.timedelta(seconds=1), "0" * digits
    return value, f"{units:0{digits}d}"


def format_iso(
    dt: Any = None,
    fractional: int | None = 3,
    tz: TzLike = None,
    assume_tz: TzLike = "UTC",
) -> str:
    """ISO 8601 with ``fractional`` digits (``None``: all six, only when non-zero);
    a zero offset prints ``Z``, others ``+HH:MM``."""
    value = _now_or(dt, assume_tz)
    zone = _zone(tz)
    if zone is not None:
        value = value.astimezone(zone)
    if fractional is None:
        fraction = f"{value.microsecond:06d}" if value.microsecond else ""
    else:
        value, fraction = _round_fraction(value, fractional)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if fraction:
        text += "." + fraction
    offset = value.utcoffset() or _dt.timedelta(0)
    if not offset:
        return text + "Z"
    sign = "-" if offset < _dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def format_rfc1123(dt: Any = None, assume_tz: TzLike = "UTC") -> str:
    """HTTP-date in GMT: ``Sun, 06 Nov 1994 08:49:37 GMT``."""
    return _email_format_datetime(_now_or(dt, assume_tz).astimezone(_UTC), usegmt=True)


def format_unix(
    dt: Any = None, ms: bool = False, as_int: bool = True, assume_tz: TzLike = "UTC"
) -> int | float:
    seconds = _now_or(dt, assume_tz).timestamp()
    value = seconds * 1000 if ms else seconds
    return int(value) if as_int else value


def format_strftime(
    dt: Any, fmt: str, tz: TzLike = None, assume_tz: TzLike = "UTC"
) -> str:
    value = _now_or(dt, assume_tz)
    zone = _zone(tz)
    return (value.astimezone(zone) if zone is not None else value).strftime(fmt)


def api_format(
    value: Any = None,
    *,
    style: str = "iso",
    fmt: str | None = None,
    tz: TzLike = None,
    fractional: int | None = 3,
    unix_ms: bool = False,
    assume_tz: TzLike = "UTC",
    as_object: bool = False,
) -> Any:
    """Format ``value`` (default now) in one of ``iso rfc1123 unix strftime``."""
    if style not in _STYLES:
        raise ValueError("unsupported style")
    if style == "strftime" and not fmt:
        raise ValueError("fmt is required when style='strftime'")
    if as_object:
        moment = _now_or(value, assume_tz)
        zone = _zone(tz)
        return moment.astimezone(zone) if zone is not None else moment
    if style == "iso":
        return format_iso(value, fractional=fractional, tz=tz, assume_tz=assume_tz)
    if style == "rfc1123":
        return format_rfc1123(value, assume_tz=assume_tz)
    if style == "unix":
        return format_unix(value, ms=unix_ms, assume_tz=assume_tz)
    return format_strftime(value, fmt or "", tz=tz, assume_tz=assume_tz)


class Format:
    """Static shortcuts over the formatters above."""

    iso = staticmethod(format_iso)
    rfc1123 = staticmethod(format_rfc1123)
    unix = staticmethod(format_unix)

    @staticmethod
    def custom(
        dt: Any = None,
        fmt: str = "%Y-%m-%d %H:%M:%S",
        tz: TzLike = None,
        assume_tz: TzLike = "UTC",
    ) -> str:
        return format_strftime(dt, fmt, tz=tz, assume_tz=assume_tz)

    @staticmethod
    def api_format(dt: Any = None, assume_tz: TzLike = "UTC") -> str:
        """UTC ``YYYY-MM-DDTHH:MM:SS.mmm+0000``."""
        try:
            value = _now_or(dt, assume_tz)
        except (TypeError, ValueError):
            raise ValueError(f"Could not coerce datetime from: {dt}") from None
        return format_api_datetime(value)

    @staticmethod
    def parse(value: Any, assume_tz: TzLike = "UTC") -> _dt.datetime:
        try:
            parsed = coerce_datetime(value, assume_tz)
        except (TypeError, ValueError):
            parsed = None
        if parsed is None:
            raise ValueError(f"Could not parse datetime from: {value}")
        return parsed
