"""A static file server on 127.0.0.1 that honours ``Range`` requests (used by tests and benchmarks)."""
from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from pathlib import Path


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with single-range ``Range: bytes=a-b`` support (206 responses).

    ``bytes_sent`` counts body bytes of ranged responses, so tests can check how little of
    an archive a reader touched.
    """

    bytes_sent = 0

    def log_message(self, *args):  # keep test output clean
        pass

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


def start_server(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``folder`` on a free loopback port in a daemon thread; returns (server, base URL)."""
    handler = functools.partial(RangeHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
