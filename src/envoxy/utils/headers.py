"""The Zapata request headers envoxy sends over ZeroMQ and in MQTT envelopes.

``generate_headers(client_id=None)`` is the Zapata codec's (compiled when the
extensions are built): ``Accept, Accept-Charset, Date, User-Agent, X-Cid``.
"""

from __future__ import annotations

from envoxy.zeromq.codec import generate_headers

__all__ = ["generate_headers"]
