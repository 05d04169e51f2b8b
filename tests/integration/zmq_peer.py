"""An envoxy Zapata server in its own process, for the ZeroMQ interop tests.

``python zmq_peer.py tcp://127.0.0.1:PORT`` prints ``ready <endpoint>`` once
bound and serves until SIGTERM, then stops gracefully (in-flight requests
finish) and prints ``stopped <drained>``.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from typing import Any

from envoxy import View, on
from envoxy.exceptions import ValidationException
from envoxy.zeromq.routes import ZmqRoutes
from envoxy.zeromq.server import ZapataServer


@on(endpoint="/v3/things/{thing_id}", protocols=["zmq"])
class Things(View):
    def get(self, request: Any, thing_id: str) -> Any:
        return {
            "id": thing_id,
            "params": request.params,
            "cid": request.headers.get("X-Cid"),
        }

    def post(self, request: Any, thing_id: str) -> Any:
        return {
            "status": 201,
            "payload": {"created": thing_id, "body": request.get_json()},
        }

    def delete(self, request: Any, thing_id: str) -> Any:
        return {"status": 200, "payload": {"deleted": thing_id}}


@on(endpoint="/v3/slow", protocols=["zmq"])
class Slow(View):
    def get(self, request: Any) -> Any:
        time.sleep(float((request.params or {}).get("seconds", 1)))
        return {"slept": True}


@on(endpoint="/v3/fail", protocols=["zmq"])
class Fail(View):
    def get(self, request: Any) -> Any:
        raise RuntimeError("boom")

    def put(self, request: Any) -> Any:
        raise ValidationException("bad thing", code=1234, status=422)


def main() -> None:
    server = ZapataServer(
        sys.argv[1], ZmqRoutes([Things(), Slow(), Fail()]).reply, workers=4
    ).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", server.address, flush=True)
    stop.wait()
    print("stopped", server.stop(timeout=10), flush=True)


if __name__ == "__main__":
    main()
