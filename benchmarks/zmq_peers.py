"""Servers for bench_zmq_roundtrip.py, each run in its own process:
``python benchmarks/zmq_peers.py raw-rep|raw-router|envoxy PORT``.

The raw peers answer every request with the reply bytes the envoxy server
produces for the same request, so both sides move the same payload.
"""

from __future__ import annotations

import sys
from typing import Any

import zmq

RESOURCE = "/v3/data-layer/cards"
ELEMENTS = [{"id": i, "name": f"card {i}", "active": True} for i in range(5)]


def reply_body() -> bytes:
    from envoxy.zeromq.codec import encode_reply

    return encode_reply(  # type: ignore[no-any-return]
        RESOURCE,
        200,
        {"elements": ELEMENTS, "size": len(ELEMENTS)},
        {"X-Cid": "1f2ce823-2262-40d4-a30e-bd9f9c418806"},
    )


def raw_rep(port: int) -> None:
    socket = zmq.Context().socket(zmq.REP)
    socket.bind(f"tcp://127.0.0.1:{port}")
    body = reply_body()
    print("ready", flush=True)
    while True:
        socket.recv_multipart()
        socket.send_multipart([b"", body])


def raw_router(port: int) -> None:
    socket = zmq.Context().socket(zmq.ROUTER)
    socket.bind(f"tcp://127.0.0.1:{port}")
    body = reply_body()
    print("ready", flush=True)
    while True:
        frames = socket.recv_multipart()
        frames[-1] = body
        socket.send_multipart(frames)


def envoxy(port: int) -> None:
    import time

    from envoxy import View, on
    from envoxy.zeromq.routes import ZmqRoutes
    from envoxy.zeromq.server import ZapataServer

    @on(endpoint=RESOURCE, protocols=["zmq"])
    class Cards(View):
        def get(self, request: Any) -> Any:
            return ELEMENTS

    ZapataServer(f"tcp://127.0.0.1:{port}", ZmqRoutes([Cards()]).reply).start()
    print("ready", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    {"raw-rep": raw_rep, "raw-router": raw_router, "envoxy": envoxy}[sys.argv[1]](
        int(sys.argv[2])
    )
