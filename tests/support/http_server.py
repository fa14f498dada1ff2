"""A threaded HTTP server on a free loopback port, for test stand-ins to build on.

A subclass answers requests in `_handle` (one call per POST, on its own daemon thread, so a
hung handler never blocks the next request) and gets the lifecycle for free:

    class StandIn(LoopbackHTTPServer):
        thread_name = "stand-in"

        def _handle(self, h: BaseHTTPRequestHandler) -> None: ...

    with StandIn() as server:  # or server.start() ... server.close()
        ... talk to server.url (http://127.0.0.1:<port>) ...

Other methods get the standard library's 501 answer.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

HOST = "127.0.0.1"


class LoopbackHTTPServer:
    """Start/close, context manager, `port` and `url`; subclasses implement `_handle`."""

    thread_name = "loopback-http"

    def __init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        owner = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                owner._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer((HOST, 0), _Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name=self.thread_name)
        self._thread.daemon = True
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"
