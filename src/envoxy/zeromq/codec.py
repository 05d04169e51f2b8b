"""The Zapata codec, bound once at import to the compiled build or its twin.

See ``envoxy.zeromq._codec_py`` for the format; docs/ZEROMQ.md for the wire.
"""

from __future__ import annotations

from envoxy import _speedups

__all__ = [
    "decode_reply",
    "decode_request",
    "encode_reply",
    "encode_request",
    "format_cid",
    "format_date",
    "generate_headers",
    "new_cid",
    "now_date",
    "request_envelope",
]

_impl = _speedups.load("zapata")

decode_reply = _impl.decode_reply
decode_request = _impl.decode_request
encode_reply = _impl.encode_reply
encode_request = _impl.encode_request
format_cid = _impl.format_cid
format_date = _impl.format_date
generate_headers = _impl.generate_headers
new_cid = _impl.new_cid
now_date = _impl.now_date
request_envelope = _impl.request_envelope
