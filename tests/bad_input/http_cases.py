"""Bad-input rows: http_cases (remote reads: bad servers, an unreachable Hub, missing folders).

The HTTP rows serve the stand-in release (Info-ZIP split zips, built once per process) with
one of the bad servers of ``tests/range_server.py`` and run ``mattehub build v-him2k5`` on it;
each row starts and stops its own server. Timeouts and retries are set through the
environment for the row and restored afterwards (the harness has no monkeypatch).
"""
from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path
from typing import Iterator

import datasets
import huggingface_hub.constants

import mattehub
from mattehub.inputs import remote
from mattehub.families.releases.standin import make_release
from range_server import (NoRangeHandler, StallBodyHandler, StallHandler, get_fails_with,
                          start_server)

from .harness import Case, Env, Fails, Run

_RELEASE: dict[str, Path] = {}  # the stand-in release, built by the first row that needs it
HOST = r"http://127\.0\.0\.1:\d+"


def release(env: Env) -> Path:
    """The stand-in release folder (built once per process, about 2 s)."""
    if "release" not in _RELEASE:
        _RELEASE["release"] = make_release(env.tmp / "release-cache", env.hhm)
    return _RELEASE["release"]


@contextlib.contextmanager
def http_settings(timeout: float | None = None, retries: int | None = None) -> Iterator[None]:
    """``remote.configure(...)`` for the duration of a row, then the variables as they were."""
    names = (remote.TIMEOUT_VARIABLE, remote.RETRIES_VARIABLE)
    before = {name: os.environ.get(name) for name in names}
    try:
        remote.configure(timeout=timeout, retries=retries)
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def hub_unreachable() -> Iterator[None]:
    """Point huggingface_hub at a closed loopback port: the Hub with no network."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    before = huggingface_hub.constants.ENDPOINT
    huggingface_hub.constants.ENDPOINT = f"http://127.0.0.1:{port}"
    try:
        yield
    finally:
        huggingface_hub.constants.ENDPOINT = before


def build_release_over(handler, timeout: float = 1.0, retries: int = 0):
    """A row that builds v-him2k5 from the release served by ``handler``."""

    def run(env: Env) -> Run:
        server, base = start_server(release(env), handler)
        try:
            with http_settings(timeout, retries):
                return env.cli("build", "v-him2k5", "--data-dir", base, "--out", env.tmp / "out",
                               "--no-progress")
        finally:
            server.shutdown()
            server.server_close()

    return run


def load_hub_release(env: Env) -> Run:
    """``load_dataset("mattehub", "v-him2k5", streaming=True)`` (default data_dir: the Hub)."""
    with hub_unreachable(), http_settings(retries=0):
        return env.call(datasets.load_dataset, "mattehub", "v-him2k5", streaming=True)


def build_hub_release(env: Env) -> Run:
    """``mattehub build v-him2k5 --out OUT`` (default --data-dir: the Hub)."""
    with hub_unreachable(), http_settings(retries=0):
        return env.cli("build", "v-him2k5", "--out", env.tmp / "out", "--no-progress")


def stream_folder(make: bool):
    """A row streaming i-him from a folder that is missing (or exists but was never built)."""

    def run(env: Env) -> Run:
        folder = env.tmp / "not-built"
        if make:
            (folder / "i-him").mkdir(parents=True)
        return env.call(mattehub.stream, "i-him", str(folder))

    return run


def _nothing_written(env: Env, run: Run) -> None:
    assert not (env.tmp / "out" / "v-him2k5").exists()


TIMED_OUT = r"timed out after 1 s \(1 try\).*MATTEHUB_HTTP_TIMEOUT"
HUB = (r"hf://datasets/chuonghm/MaGGIe-HIM/V-HIM2K5\.zip: cannot reach the Hugging Face Hub "
       r"\(no network\?\).*download the release files and pass data_dir=/path/to/the/zips "
       r"\(CLI: --data-dir\)")

CASES: list[Case] = [
    Case("http-server-never-answers", "remote reads never hang: connect/read timeout",
         build_release_over(StallHandler),
         Fails(rf"{HOST}/V-HIM2K5\.zip: cannot be opened: {TIMED_OUT}"), _nothing_written),
    Case("http-server-stalls-the-body", "remote reads never hang: a body that never comes",
         build_release_over(StallBodyHandler),
         Fails(rf"{HOST}/V-HIM2K5\.zip: cannot be read: {TIMED_OUT}"), _nothing_written),
    Case("http-server-ignores-range", "a server without Range support is named as such",
         build_release_over(NoRangeHandler),
         Fails(rf"{HOST}/V-HIM2K5\.z\w\w: cannot be read: the server ignores HTTP Range requests "
               r"\(it answered with the whole 65536-byte file\) \(serve the files with a server "
               r"that supports Range, or download them and pass a local --data-dir\)")),
    Case("http-get-404-after-good-head", "HTTP errors on GET name the URL, no traceback",
         build_release_over(get_fails_with(404), retries=2),
         Fails(rf"{HOST}/V-HIM2K5\.zip: cannot be read: HTTP 404 Not Found$")),
    Case("http-get-500-after-good-head", "HTTP 5xx on GET: bounded retries, then the URL",
         build_release_over(get_fails_with(500), retries=1),
         Fails(rf"{HOST}/V-HIM2K5\.zip: cannot be read: HTTP 500 Internal Server Error "
               r"\(2 tries\)")),
    Case("hub-unreachable-load-dataset", "no network: the Hub release says how to go local",
         load_hub_release, Fails(HUB)),
    Case("hub-unreachable-build", "no network: the Hub release says how to go local (CLI)",
         build_hub_release, Fails(HUB)),
    Case("stream-missing-folder", "mattehub.stream on a folder that does not exist",
         stream_folder(make=False),
         Fails(r"i-him needs image_root= .*and bg_root= \(.*not-built: does not exist, so i-him "
               r"is made from its sources; to stream a build instead, run `mattehub build i-him "
               r"--out .*not-built` first")),
    Case("stream-folder-never-built", "mattehub.stream on a folder mattehub did not write",
         stream_folder(make=True),
         Fails(r"i-him needs image_root= .*\(.*not-built: has no _stats/index\.json, so it is not "
               r"a folder written by `mattehub build`, so i-him is made from its sources; to "
               r"stream a build instead, run `mattehub build i-him --out .*not-built` first")),
]
