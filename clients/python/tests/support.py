"""What the tests share: the server under test (from the environment) and two small network peers of
their own, a TCP proxy that can cut its connections and a listener that never answers."""

from __future__ import annotations

import os
import socket
import threading
import unittest
from typing import List, Optional, Tuple

#: the server under test: `gridshift serve`, started by test/client/python.test.ts (or by you)
URL = os.environ.get("GRIDSHIFT_URL", "")
#: a token with the write scope, and one with only the read scope
TOKEN = os.environ.get("GRIDSHIFT_TOKEN", "")
READ_TOKEN = os.environ.get("GRIDSHIFT_READ_TOKEN", "")
#: the start of the clean hours of zone DE (100 g/kWh for two hours; 400 g/kWh before and after)
CLEAN_FROM = os.environ.get("GRIDSHIFT_TEST_CLEAN_FROM", "")

needs_server = unittest.skipUnless(
    URL and TOKEN and READ_TOKEN and CLEAN_FROM,
    "set GRIDSHIFT_URL, GRIDSHIFT_TOKEN, GRIDSHIFT_READ_TOKEN and GRIDSHIFT_TEST_CLEAN_FROM",
)


def free_port() -> int:
    """A port nothing listens on (bound and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class SilentServer:
    """Accepts connections and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.sock.close()


class CuttingProxy:
    """A TCP proxy in front of the server: it forwards bytes both ways, records what clients sent, and
    `cut()` closes every connection open now (the server and the client each see the other go)."""

    def __init__(self, target_url: str) -> None:
        host, _, port = target_url.split("//", 1)[1].rstrip("/").partition(":")
        self.target: Tuple[str, int] = (host, int(port))
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        #: the first bytes each client sent (its request head), in order
        self.requests: List[bytes] = []
        #: what the server sent on each connection, in order
        self.answers: List[bytearray] = []
        self._open: List[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            answer = bytearray()
            with self._lock:
                self._open += [client, upstream]
                self.answers.append(answer)
                index = len(self.requests)
                self.requests.append(b"")
            threading.Thread(target=self._pump, args=(client, upstream, index, None), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, None, answer), daemon=True).start()

    def _pump(
        self, src: socket.socket, dst: socket.socket, index: Optional[int], record: Optional[bytearray]
    ) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if index is not None:
                    with self._lock:
                        self.requests[index] += data
                if record is not None:
                    record += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        with self._lock:
            for s in self._open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self._open = []

    def close(self) -> None:
        self.listener.close()
        self.cut()
