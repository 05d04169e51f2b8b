"""A loopback TCP proxy the fault tests put between a client and a real server.

``stop()`` closes the listener and cuts every open connection, exactly what a
client sees when its server goes away; ``start()`` listens again on the same
port, as a restarted server would. ``blackhole()`` keeps every connection open
(new ones are accepted too) but lets no byte through either way: a server
whose TCP stack answers while the server itself never does (hung, stopped, or
a middlebox that stopped forwarding), which no kernel timeout notices;
``restore()`` lets bytes flow again. The machine's shared services are never
stopped.
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["TcpProxy", "proxy_fixture"]


def _outside_ephemeral_range() -> int:
    """A free loopback port below the kernel's ephemeral range: a client
    reconnecting to a stopped proxy can then never be handed that same port
    as its own source and connect to itself (TCP self-connect), which would
    hold the port when the proxy starts again."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    for _ in range(200):
        port = random.randint(10_000, max(10_001, low - 1))
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise OSError("no free port below the ephemeral range")


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._running = threading.Event()
        self._flowing = threading.Event()
        self._flowing.set()
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> TcpProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if not self.port:
            self.port = _outside_ephemeral_range()
        try:
            listener.bind(("127.0.0.1", self.port))
        except OSError:
            listener.close()
            raise
        listener.listen(64)
        listener.settimeout(0.2)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._running.set()
        self._thread = threading.Thread(
            target=self._accept, args=(listener,), daemon=True
        )
        self._thread.start()
        return self

    def blackhole(self) -> None:
        self._flowing.clear()

    def restore(self) -> None:
        self._flowing.set()

    def stop(self) -> None:
        with self._lock:  # from here on _accept keeps nothing it accepts
            self._running.clear()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(5)  # its accept() returns within its 0.2 s timeout
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while self._running.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self._keep(client):
                return  # stopped meanwhile: the client is cut at once
            if not self._flowing.is_set():
                continue  # accepted, and never to hear anything back
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                self._drop(client)
                continue
            if not self._keep(upstream):
                return
            upstream.settimeout(None)
            client.settimeout(None)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=self._pump, args=(source, sink), daemon=True
                ).start()

    def _keep(self, sock: socket.socket) -> bool:
        """Track ``sock`` for ``stop``; close it at once if stopping began
        (else a connection accepted during ``stop`` would hold the port)."""
        with self._lock:
            if self._running.is_set():
                self._sockets.add(sock)
                return True
        sock.close()
        return False

    def _drop(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        sock.close()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if self._flowing.is_set():
                    sink.sendall(data)  # else: swallowed, as by a black hole
        except OSError:
            return  # the other side (or stop()) closed the connection
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def proxy_fixture(service_fixture: str) -> Any:
    """A pytest fixture: a running ``TcpProxy`` in front of that service."""
    import pytest

    @pytest.fixture
    def proxy(request: Any) -> Any:
        service = request.getfixturevalue(service_fixture)
        with TcpProxy(service.host, service.port) as running:
            yield running

    return proxy
