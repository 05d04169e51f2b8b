"""Database rows made JSON-ready the way upstream envoxy 0.7.1 returns them,
so a row can go straight into a ``Response`` or a message."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Mapping
from typing import Any

from envoxy.utils.encoders import format_api_datetime

__all__ = ["json_ready", "normalize_row"]


def json_ready(value: Any, scalars: bool = False) -> Any:
    """Datetimes as the API string (naive taken as UTC), dates as
    ``YYYY-MM-DD``; with ``scalars`` also Decimals as floats and UUIDs as
    strings (what upstream's ClickHouse client does; its PostgreSQL client
    leaves them to the encoder)."""
    if isinstance(value, dt.datetime):
        return format_api_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if scalars:
        if isinstance(value, decimal.Decimal):
            return float(value)
        if isinstance(value, uuid.UUID):
            return str(value)
    return value


def normalize_row(row: Mapping[str, Any], scalars: bool = False) -> dict[str, Any]:
    """One row with every value ``json_ready``."""
    return {key: json_ready(value, scalars) for key, value in row.items()}
