"""The Zapata request headers envoxy sends over ZeroMQ and in MQTT envelopes."""

from __future__ import annotations

import datetime as dt
import uuid

from envoxy.constants import SERVER_NAME
from envoxy.utils.encoders import format_api_datetime

__all__ = ["generate_headers"]


def generate_headers(client_id: str | None = None) -> dict[str, str]:
    """``Accept``, ``Accept-Charset``, ``Date`` (UTC, ms), ``User-Agent``, ``X-Cid``
    in that order; ``X-Cid`` is ``client_id`` or a fresh uuid4."""
    return {
        "Accept": "application/json",
        "Accept-Charset": "utf-8",
        "Date": format_api_datetime(dt.datetime.now(dt.UTC)),
        "User-Agent": SERVER_NAME,
        "X-Cid": client_id or str(uuid.uuid4()),
    }
