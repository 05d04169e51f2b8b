"""Zapata round trips over tcp loopback, client and server in two processes.

zmq-sequential: one caller, one request at a time: zmqc.get -> the envoxy
server vs a raw pyzmq REQ -> a raw REP (the transport's limit), same bytes.
zmq-concurrent: 8 callers through zmqc's socket pool -> the envoxy server vs
one raw DEALER keeping 8 requests in flight against a raw ROUTER.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import zmq

from envoxy.zeromq.codec import encode_request
from envoxy.zeromq.dispatcher import Dispatcher as zmqc

# Round trips between two processes on a shared 2-vCPU machine are bimodal
# (a rarer fast mode at about half the time, on either side): the gate's
# best-of estimate needs many rounds so that each side shows its fast mode,
# not only the one that happened to be lucky (30 rounds left one side in its
# slow mode often enough to put the ratio at 0.54 against a 0.6 floor).
pytestmark = pytest.mark.benchmark(min_rounds=120, max_time=2.0)

PEERS = Path(__file__).with_name("zmq_peers.py")
RESOURCE = "/v3/data-layer/cards"
CALLERS = 8
BATCH = 400
SEQUENTIAL = 100  # round trips per measured call: a rate, not one latency


def free_port() -> int:
    probe = zmq.Context.instance().socket(zmq.ROUTER)
    port = probe.bind_to_random_port("tcp://127.0.0.1")
    probe.close(linger=0)
    return port


@pytest.fixture(scope="module")
def peers() -> Iterator[dict[str, int]]:
    ports: dict[str, int] = {}
    processes = []
    for kind in ("raw-rep", "raw-router", "envoxy"):
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, str(PEERS), kind, str(port)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready", f"{kind} did not start"
        processes.append(process)
        ports[kind] = port
    zmqc.shutdown()
    zmqc.initialize({"bench": {"host": "127.0.0.1", "port": ports["envoxy"]}})
    yield ports
    zmqc.shutdown()
    for process in processes:
        process.terminate()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def test_sequential_raw(benchmark: Any, peers: dict[str, int]) -> None:
    benchmark.group = "zmq-sequential"
    socket = zmq.Context.instance().socket(zmq.REQ)
    socket.connect(f"tcp://127.0.0.1:{peers['raw-rep']}")
    body = encode_request(RESOURCE, 0)

    def round_trips() -> list[bytes]:
        for _ in range(SEQUENTIAL):
            socket.send_multipart([b"", body])
            reply = socket.recv_multipart()
        return reply

    assert b'"size":5' in benchmark(round_trips)[1]
    socket.close(linger=0)


def test_sequential_envoxy(benchmark: Any, peers: dict[str, int]) -> None:
    benchmark.group = "zmq-sequential"

    def round_trips() -> dict[str, Any]:
        for _ in range(SEQUENTIAL):
            reply = zmqc.get("bench", RESOURCE)
        return reply  # type: ignore[no-any-return]

    reply = benchmark(round_trips)
    assert reply["status"] == 200 and reply["payload"]["size"] == 5


def test_concurrent_raw(benchmark: Any, peers: dict[str, int]) -> None:
    benchmark.group = "zmq-concurrent"
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.connect(f"tcp://127.0.0.1:{peers['raw-router']}")
    body = encode_request(RESOURCE, 0)

    def pipeline() -> int:
        for _ in range(CALLERS):
            socket.send_multipart([b"", b"", body])
        sent = received = CALLERS
        received = 0
        while received < BATCH:
            socket.recv_multipart()
            received += 1
            if sent < BATCH:
                socket.send_multipart([b"", b"", body])
                sent += 1
        return received

    assert benchmark(pipeline) == BATCH
    socket.close(linger=0)


def test_concurrent_envoxy(benchmark: Any, peers: dict[str, int]) -> None:
    benchmark.group = "zmq-concurrent"
    per_caller = BATCH // CALLERS

    def caller() -> int:
        for _ in range(per_caller):
            zmqc.get("bench", RESOURCE)
        return per_caller

    with ThreadPoolExecutor(CALLERS) as executor:

        def batch() -> int:
            return sum(executor.map(lambda _: caller(), range(CALLERS)))

        assert benchmark(batch) == BATCH
