"""Static file servers on 127.0.0.1 for tests and benchmarks.

``RangeHandler`` honours ``Range`` requests, as a good static server (or the Hub's CDN) does.
The other handlers are the bad servers a remote read must survive with a clear error:
``NoRangeHandler`` ignores ``Range`` (plain ``python -m http.server``), ``StallHandler`` accepts
the connection and never answers, ``StallBodyHandler`` answers HEAD and GET headers but never
sends the body, ``get_fails_with(status)`` answers HEAD fine and GET with an HTTP error.
Stalling handlers stop by themselves: when the server is closed, or after ``MAX_STALL`` s.
"""
from __future__ import annotations

import functools
import http.server
import os
import re
import threading
import time
from pathlib import Path

MAX_STALL = 30.0  # seconds a stalling handler waits at most, even if the server is never closed
STALL_STEP = 0.05


class LoopbackServer(http.server.ThreadingHTTPServer):
    """A threading HTTP server that records the requests it parses (``requests``: list of
    (method, path)), counts the stalls its handlers began and ended (``stalls_begun``,
    ``stalls_ended``: a stall ends when the server is closed or after ``MAX_STALL`` s, never
    because the client hung up) and tells stalling handlers when it is closed (``closed``)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.requests: list[tuple[str, str]] = []
        self.stalls_begun = 0
        self.stalls_ended = 0
        self.counting = threading.Lock()
        self.closed = threading.Event()

    def server_close(self) -> None:
        self.closed.set()
        super().server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Plain static files, no log lines, every parsed request recorded on the server."""

    def log_message(self, *args):  # keep test output clean
        pass

    def parse_request(self) -> bool:
        parsed = super().parse_request()
        if parsed and isinstance(self.server, LoopbackServer):
            self.server.requests.append((self.command, self.path))
        return parsed

    def stall(self) -> None:
        """Wait until the server is closed (or ``MAX_STALL`` s pass), sending nothing."""
        loopback = self.server if isinstance(self.server, LoopbackServer) else None
        if loopback is not None:
            with loopback.counting:
                loopback.stalls_begun += 1
        try:
            self._wait_stalled(getattr(self.server, "closed", None))
        finally:
            if loopback is not None:
                with loopback.counting:
                    loopback.stalls_ended += 1

    @staticmethod
    def _wait_stalled(closed: threading.Event | None) -> None:
        deadline = time.monotonic() + MAX_STALL
        while time.monotonic() < deadline:
            if closed is not None and closed.wait(STALL_STEP):
                return
            if closed is None:
                time.sleep(STALL_STEP)


class RangeHandler(QuietHandler):
    """Static files with single-range ``Range: bytes=a-b`` support (206 responses).

    ``bytes_sent`` counts body bytes of ranged responses, so tests can check how little of
    an archive a reader touched.
    """

    bytes_sent = 0

    def send_head(self):
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
        path = self.translate_path(self.path)
        if not match or not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        start = int(match.group(1)) if match.group(1) else max(0, size - int(match.group(2)))
        end = min(int(match.group(2)), size - 1) if match.group(1) and match.group(2) else size - 1
        handle = open(path, "rb")
        handle.seek(start)
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        self.range_left = end - start + 1
        return handle

    def copyfile(self, source, outputfile):
        left = getattr(self, "range_left", None)
        if left is None:
            return super().copyfile(source, outputfile)
        while left > 0:
            block = source.read(min(left, 1 << 20))
            if not block:
                break
            outputfile.write(block)
            left -= len(block)
            RangeHandler.bytes_sent += len(block)


class NoRangeHandler(QuietHandler):
    """Ignores ``Range``: every GET gets 200 and the whole file (``python -m http.server``)."""


class StallHandler(QuietHandler):
    """Accepts the connection, reads the request, and never answers."""

    def do_GET(self):
        self.stall()

    do_HEAD = do_GET


class StallBodyHandler(RangeHandler):
    """HEAD answers normally; GET sends its status line and headers, then no body."""

    def copyfile(self, source, outputfile):
        outputfile.flush()
        self.stall()


def get_fails_with(status: int) -> type[QuietHandler]:
    """A handler answering HEAD normally (the file looks fine) and every GET with ``status``."""

    class GetFails(RangeHandler):
        def do_GET(self):
            self.send_error(status)

    GetFails.__name__ = GetFails.__qualname__ = f"GetFailsWith{status}"
    return GetFails


def start_server(folder: Path, handler: type[http.server.BaseHTTPRequestHandler] = RangeHandler
                 ) -> tuple[LoopbackServer, str]:
    """Serve ``folder`` on a free loopback port in a daemon thread; returns (server, base URL).

    ``handler`` picks the server's behaviour (default: static files with Range support).
    Stop it with ``server.shutdown(); server.server_close()`` (stalled handlers then end too).
    """
    server = LoopbackServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": STALL_STEP},
                     daemon=True).start()  # short poll: shutdown() returns at once
    return server, f"http://127.0.0.1:{server.server_address[1]}"
