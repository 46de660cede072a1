"""mattehub.inputs.remote: settings, timeouts, bounded retries and the errors remote reads fail with.

Only 127.0.0.1 servers (tests/range_server.py) and a closed loopback port stand in for the
network; every test keeps its timeouts below a second.
"""
import pickle
import socket

import huggingface_hub.constants
import pytest
from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem

from mattehub.inputs import remote
from mattehub.core.errors import ArchiveError, BuildError, SourceError
from mattehub.inputs.archives import SplitZip
from range_server import (NoRangeHandler, RangeHandler, StallBodyHandler, StallHandler,
                          get_fails_with, start_server)

DATA = bytes(range(256)) * 4096  # 1 MiB


@pytest.fixture
def settings(monkeypatch):
    """Isolated settings: the variables are restored after the test, whatever it set."""
    for name in (remote.TIMEOUT_VARIABLE, remote.RETRIES_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    return remote.configure


@pytest.fixture
def serve(tmp_path):
    """Start a server variant over a folder holding ``data.bin``; returns (server, file URL)."""
    (tmp_path / "data.bin").write_bytes(DATA)
    servers = []

    def start(handler=RangeHandler):
        server, base = start_server(tmp_path, handler)
        servers.append(server)
        return server, f"{base}/data.bin"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def gets(server) -> int:
    return sum(method == "GET" for method, _ in server.requests)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NoHeadHandler(RangeHandler):
    """A server without HEAD (405): sizes come from a one-byte ranged GET."""

    def do_HEAD(self):
        self.send_error(405)


def test_settings_come_from_the_environment(settings, monkeypatch):
    assert remote.settings() == remote.Settings(30.0, 2)
    monkeypatch.setenv(remote.TIMEOUT_VARIABLE, "2.5")
    monkeypatch.setenv(remote.RETRIES_VARIABLE, "0")
    assert remote.settings() == remote.Settings(2.5, 0) and remote.settings().tries == 1
    settings(timeout=7)  # sets the variable, so spawn-started workers inherit it
    assert remote.settings() == remote.Settings(7.0, 0)
    assert float(remote.os.environ[remote.TIMEOUT_VARIABLE]) == 7.0


@pytest.mark.parametrize("timeout,retries", [(0, None), (None, -1)])
def test_bad_settings_are_refused_and_do_not_stick(settings, timeout, retries):
    with pytest.raises(BuildError, match="MATTEHUB_HTTP_"):
        settings(timeout=timeout, retries=retries)
    assert remote.settings() == remote.Settings(30.0, 2)


def test_http_file_system_carries_the_timeouts_even_pickled(settings):
    settings(timeout=4)
    fs, path = remote.filesystem("http://127.0.0.1:1/a.zip")
    assert path == "http://127.0.0.1:1/a.zip"
    timeout = pickle.loads(pickle.dumps(fs)).client_kwargs["timeout"]
    assert (timeout.sock_connect, timeout.sock_read, timeout.total) == (4, 4, None)


def test_local_paths_are_untouched(tmp_path):
    (tmp_path / "a.bin").write_bytes(DATA)
    path = str(tmp_path / "a.bin")
    fs, where = remote.filesystem(path)
    assert isinstance(fs, LocalFileSystem) and (fs, where) == url_to_fs(path)
    assert remote.read(fs, path, 10, 20) == DATA[10:20] and remote.size(fs, path) == len(DATA)
    assert remote.exists(fs, path) and not remote.exists(fs, path + ".nope")
    with pytest.raises(SourceError, match=r"a\.bin\.nope: cannot be read: No such file") as error:
        remote.read(fs, path + ".nope")
    assert not isinstance(error.value, remote.RemoteError)  # the file's problem, not the network's


def test_http_reads_sizes_and_ranges(serve):
    server, url = serve()
    fs, _ = remote.filesystem(url)
    assert remote.size(fs, url) == len(DATA) and remote.exists(fs, url)
    assert remote.read(fs, url, 1000, 1010) == DATA[1000:1010] and remote.read(fs, url) == DATA
    assert remote.size(fs, url + ".nope") is None and not remote.exists(fs, url + ".nope")


def test_size_without_head_support(serve):
    server, url = serve(NoHeadHandler)
    assert remote.size(remote.filesystem(url)[0], url) == len(DATA)


def test_5xx_is_retried_a_bounded_number_of_times(serve, settings):
    settings(retries=2)
    server, url = serve(get_fails_with(500))
    fs, _ = remote.filesystem(url)
    assert remote.size(fs, url) == len(DATA)  # HEAD is fine
    with pytest.raises(remote.RemoteError, match=rf"{url}: cannot be read: HTTP 500 Internal "
                                                 r"Server Error \(3 tries\)"):
        remote.read(fs, url, 0, 10)
    assert gets(server) == 3


def test_404_is_not_retried_and_names_the_url(serve, settings):
    settings(retries=2)
    server, url = serve(get_fails_with(404))
    with pytest.raises(ArchiveError, match=rf"{url}: cannot be read: HTTP 404 Not Found$"):
        remote.read(remote.filesystem(url)[0], url, 0, 10, ArchiveError)
    assert gets(server) == 1


@pytest.mark.parametrize("handler", [StallHandler, StallBodyHandler], ids=["silent", "no-body"])
def test_stalled_server_times_out(serve, settings, handler):
    settings(timeout=0.3, retries=1)
    server, url = serve(handler)
    fs, _ = remote.filesystem(url)
    with pytest.raises(remote.RemoteError, match=rf"{url}: cannot be (opened|read): timed out "
                                                 r"after 0\.3 s \(2 tries\).*MATTEHUB_HTTP_TIMEOUT"):
        remote.size(fs, url) if handler is StallHandler else remote.read(fs, url, 0, 10)
    assert len(server.requests) == 2
    # The client's own timeout ended both tries: when it gave up, the server was still
    # holding both stalls (a stall ends only when the server closes or after MAX_STALL s).
    assert (server.stalls_begun, server.stalls_ended) == (2, 0)


def test_server_ignoring_range_is_named_before_the_body_is_read(serve, settings):
    settings(retries=2)
    server, url = serve(NoRangeHandler)
    fs, _ = remote.filesystem(url)
    with pytest.raises(remote.RemoteError, match=r"the server ignores HTTP Range requests \(it "
                                                 rf"answered with the whole {len(DATA)}-byte "
                                                 r"file\).*supports Range.*--data-dir"):
        remote.read(fs, url, 100, 200)
    assert gets(server) == 1  # not retried
    assert remote.read(fs, url, 0, len(DATA)) == DATA == remote.read(fs, url)  # whole file: fine


def test_split_zip_on_a_range_ignoring_server_says_so(serve, tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "a.zip", "w") as archive:
        archive.writestr("x.bin", DATA)  # stored: the zip is larger than the tail SplitZip reads
    server, url = serve(NoRangeHandler)
    with pytest.raises(remote.RemoteError, match=r"a\.zip: cannot be read: the server ignores"):
        SplitZip(url.replace("data.bin", "a.zip"))


def test_unreachable_hub_says_how_to_read_local_files(settings, monkeypatch):
    settings(retries=0)
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    url = "hf://datasets/someone/missing-net/X.zip"
    with pytest.raises(remote.RemoteError, match=r"X\.zip: cannot reach the Hugging Face Hub "
                                                 r"\(no network\?\).*data_dir=/path/to/the/zips"):
        remote.exists(remote.filesystem(url)[0], url)


def test_hub_offline_mode_is_reported_as_such(monkeypatch):
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    url = "hf://datasets/someone/offline/X.zip"
    with pytest.raises(remote.RemoteError, match=r"cannot reach the Hugging Face Hub \(no "
                                                 r"network\?\): offline mode is on"):
        remote.size(remote.filesystem(url)[0], url)
