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
import socket
import threading
from types import TracebackType
from typing import Any

__all__ = ["TcpProxy", "proxy_fixture"]


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

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> TcpProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.2)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._running.set()
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def blackhole(self) -> None:
        self._flowing.clear()

    def restore(self) -> None:
        self._flowing.set()

    def stop(self) -> None:
        self._running.clear()
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
            if not self._flowing.is_set():
                with self._lock:  # accepted, and never to hear anything back
                    self._sockets.add(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=self._pump, args=(source, sink), daemon=True
                ).start()

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
