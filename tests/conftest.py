"""Shared fixtures: generated stand-in sources, small builds, a Range-honouring HTTP server."""
from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from pathlib import Path

import pytest

from mattehub.build import BuildOptions, build
from mattehub.demo.hhm import make_hhm_sources
from mattehub.recipes.i_him import ImageHimOptions, ImageHimRecipe
from mattehub.shards import ShardLimits


@pytest.fixture(scope="session")
def hhm(tmp_path_factory):
    """Small HHM-style sources (12 foregrounds, one listed invalid; 6 backgrounds)."""
    return make_hhm_sources(tmp_path_factory.mktemp("hhm"), num_foregrounds=12, num_backgrounds=6)


def i_him_recipe(sources, seed: int = 0, **options) -> ImageHimRecipe:
    opts = ImageHimOptions(image_root=str(sources.image_root), bg_root=str(sources.bg_root),
                           invalid_names=str(sources.invalid_names), **options)
    return ImageHimRecipe(opts, seed=seed)


def build_i_him(sources, out: Path, num_samples: int = 20, workers: int = 1,
                max_samples: int = 8, max_bytes: int = 512 * 2**20, seed: int = 0, **options):
    """Build i-him into ``out`` with small shards; returns the BuildReport."""
    options_ = BuildOptions(out=out, num_samples=num_samples, workers=workers, progress=False,
                            limits=ShardLimits(max_samples=max_samples, max_bytes=max_bytes,
                                               row_group_bytes=256 * 1024))
    return build(i_him_recipe(sources, seed=seed, **options), options_)


@pytest.fixture(scope="session")
def built(hhm, tmp_path_factory):
    """One finished i-him build of 20 samples in shards of 8 (3 shards)."""
    out = tmp_path_factory.mktemp("built")
    build_i_him(hhm, out)
    return out


def shard_bytes(out: Path) -> dict[str, bytes]:
    """Every shard file (Parquet and tar) under ``out``, by relative path."""
    files = sorted(list(out.rglob("*.parquet")) + list(out.rglob("*.tar")))
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in files}


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
            block = source.read(min(left, 1 << 16))
            if not block:
                break
            outputfile.write(block)
            left -= len(block)
            RangeHandler.bytes_sent += len(block)


@pytest.fixture
def http_root():
    """Serve a folder on 127.0.0.1; yields a function folder -> base URL."""
    servers = []

    def serve(folder: Path) -> str:
        handler = functools.partial(RangeHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()
