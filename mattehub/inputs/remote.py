"""The one way mattehub reads its sources: local paths, ``http(s)://`` and ``hf://`` URLs.

``filesystem(url)`` gives the fsspec file system of a URL; for http(s) it carries aiohttp
connect and read timeouts, so a server that stops answering fails a build instead of hanging
it. ``exists``, ``size``, ``read`` (whole file or a byte range) and ``listing`` wrap the calls
mattehub makes on it:

* local paths go straight to the file system (no retries, no extra ``stat``);
* remote calls are retried a bounded number of times on timeouts, connection errors and
  HTTP 5xx (never on 404), then fail with an error that names the URL and says what
  happened: a ``RemoteError`` when the network or server failed ("timed out after 30 s
  (3 tries)"), the caller's ``SourceError`` class for the file's own problems ("HTTP 404 Not
  Found");
* HTTP requests are made here, on the file system's own aiohttp session, so the status is
  seen before the body: a server that ignores ``Range`` (200 and the whole file instead of
  206) is reported at once instead of downloading a multi-GB part (fsspec's ``cat_file``
  reads whatever body comes back and hides the status);
* an unreachable Hugging Face Hub says so and how to read the release from local files.

Settings: ``MATTEHUB_HTTP_TIMEOUT`` (seconds, default 30) and ``MATTEHUB_HTTP_RETRIES``
(default 2), or ``configure(timeout=, retries=)`` which sets those variables so worker
processes started later inherit them.

aiohttp (fsspec's http) is imported by ``filesystem`` for a URL: local reads skip its 0.15 s.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, TypeVar

import fsspec
from fsspec.asyn import sync
from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem

if TYPE_CHECKING:
    import aiohttp
    from fsspec.implementations.http import HTTPFileSystem

from mattehub.core.errors import BuildError, PathError, RemoteError, SourceError

TIMEOUT_VARIABLE, RETRIES_VARIABLE = "MATTEHUB_HTTP_TIMEOUT", "MATTEHUB_HTTP_RETRIES"
DEFAULT_TIMEOUT, DEFAULT_RETRIES = 30.0, 2
MAX_BACKOFF = 2.0  # seconds between tries: 0.25, 0.5, 1, 2, 2, ...
MISSING_STATUSES = (404, 410)
RETRY_STATUSES = (408, 425, 429)  # plus every 5xx
IDENTITY = {"Accept-Encoding": "identity"}  # sizes and byte ranges of the stored bytes

HUB_FIX = ("download the release files and pass data_dir=/path/to/the/zips "
           "(CLI: --data-dir)")
RANGE_FIX = ("serve the files with a server that supports Range, or download them and pass "
             "a local --data-dir")
TIMEOUT_FIX = (f"a slow server: raise {TIMEOUT_VARIABLE} (CLI: --http-timeout); otherwise "
               "download the files and pass a local --data-dir")
NETWORK_FIX = "check the URL and the network, or download the files and pass a local --data-dir"
SERVER_FIX = ("the server failed: try again later (more tries: MATTEHUB_HTTP_RETRIES, CLI: "
              "--http-retries), or download the files and pass a local --data-dir")

T = TypeVar("T")


# -- settings -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    """How long one network operation may wait for the server, and how often to retry."""

    timeout: float
    retries: int

    @property
    def tries(self) -> int:
        return self.retries + 1


def _setting(name: str, default: str, kind: type, minimum: float) -> float | int:
    """One setting from the environment, validated (a bad value is a BuildError, not a crash)."""
    text = os.environ.get(name, "").strip() or default
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise BuildError(f"{name}={text!r} is not valid: use a number >= {minimum:g}"
                         + (" (whole)" if kind is int else ""))
    return value


def settings() -> Settings:
    """The current settings, read from the environment on every call (cheap), so a change
    made by ``configure`` applies to the next file system opened."""
    return Settings(_setting(TIMEOUT_VARIABLE, str(DEFAULT_TIMEOUT), float, 0.001),
                    _setting(RETRIES_VARIABLE, str(DEFAULT_RETRIES), int, 0))


def configure(timeout: float | None = None, retries: int | None = None) -> Settings:
    """Set the HTTP timeout (seconds) and retry count for this process and the worker
    processes it starts afterwards (they inherit the environment); None keeps a setting."""
    before = {name: os.environ.get(name) for name in (TIMEOUT_VARIABLE, RETRIES_VARIABLE)}
    if timeout is not None:
        os.environ[TIMEOUT_VARIABLE] = repr(float(timeout))
    if retries is not None:
        os.environ[RETRIES_VARIABLE] = str(int(retries))
    try:
        return settings()
    except BuildError:
        for name, value in before.items():  # a bad value must not stick
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        raise


# -- file systems ---------------------------------------------------------------------------
def is_http(url: str) -> bool:
    return str(url).lower().startswith(("http://", "https://"))


def filesystem(url: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """(file system, path in it) for a local path or URL. http(s) file systems carry the
    connect/read timeouts of ``settings()`` (fsspec caches one per distinct setting)."""
    url = str(url)
    if not is_http(url):
        return url_to_fs(url)
    import aiohttp  # here, not at the top: see the module's docstring
    timeout = settings().timeout
    client = {"timeout": aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout)}
    return fsspec.filesystem("http", client_kwargs=client), url


def _is_http_fs(fs: fsspec.AbstractFileSystem) -> bool:
    """Whether ``fs`` is fsspec's http file system (whose module is imported once one exists)."""
    return isinstance(fs, getattr(sys.modules.get("fsspec.implementations.http"), "HTTPFileSystem", ()))


# -- what went wrong ------------------------------------------------------------------------
class HttpStatus(Exception):
    """An HTTP error status (raised by the requests made here)."""

    def __init__(self, status: int, reason: str | None) -> None:
        super().__init__(f"HTTP {status} {reason or ''}".rstrip())
        self.status = status


class RangeIgnored(Exception):
    """The server answered a ``Range`` request with the whole file."""

    def __init__(self, length: int | None) -> None:
        whole = f"the whole {length}-byte file" if length is not None else "the whole file"
        super().__init__(f"the server ignores HTTP Range requests (it answered with {whole})")


@dataclass(frozen=True)
class Failure:
    """What an exception means to a user: the problem, whether another try may help, who is
    to blame (``remote``: the server or the network, not the file; ``unreachable``: no
    answer at all), and whether the file is simply not there."""

    problem: str
    retry: bool = False
    remote: bool = False
    unreachable: bool = False
    missing: bool = False
    fix: str = ""


def _status_failure(status: int, text: str) -> Failure:
    if status in MISSING_STATUSES:
        return Failure(text, missing=True)
    retry = status >= 500 or status in RETRY_STATUSES
    return Failure(text, retry=retry, remote=retry, fix=SERVER_FIX if retry else "")


def _transport_kind(exc: BaseException) -> str | None:
    """"timeout" or "network" for the HTTP clients' transport errors (aiohttp for http(s)://,
    httpx2 under huggingface_hub for hf://), else None."""
    try:
        import httpx2
    except ImportError:  # pragma: no cover - huggingface_hub 1.x+ brings it
        httpx2 = None
    if isinstance(exc, TimeoutError) or (httpx2 and isinstance(exc, httpx2.TimeoutException)):
        return "timeout"
    aiohttp = sys.modules.get("aiohttp")  # its errors exist only once it is imported
    if isinstance(exc, ConnectionError) or (aiohttp and isinstance(exc, aiohttp.ClientError)) or \
            (httpx2 and isinstance(exc, httpx2.TransportError)):
        return "network"
    return None


def _hub_failure(exc: BaseException) -> Failure | None:
    """huggingface_hub's own errors (hf://): offline mode and HTTP error statuses."""
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    if isinstance(exc, OfflineModeIsEnabled):
        return Failure("offline mode is on (HF_HUB_OFFLINE)", remote=True, unreachable=True)
    response = getattr(exc, "response", None) if isinstance(exc, HfHubHTTPError) else None
    if response is not None:
        return _status_failure(response.status_code,
                               f"HTTP {response.status_code} {response.reason_phrase}".rstrip())
    return None


def diagnose(exc: BaseException, timeout: float | None = None) -> Failure:
    """Classify an exception raised by a file-system call or by a request made here
    (``timeout``: the read timeout in force, when known, for the message)."""
    if isinstance(exc, RangeIgnored):
        return Failure(str(exc), remote=True, fix=RANGE_FIX)
    if isinstance(exc, HttpStatus):
        return _status_failure(exc.status, str(exc))
    hub = _hub_failure(exc)
    if hub is not None:
        return hub
    kind = _transport_kind(exc)
    if kind == "timeout":
        after = f" after {timeout:g} s" if timeout else ""
        return Failure(f"timed out{after}", retry=True, remote=True, unreachable=True,
                       fix=TIMEOUT_FIX)
    if kind == "network":
        return Failure(str(exc) or type(exc).__name__, retry=True, remote=True, unreachable=True,
                       fix=NETWORK_FIX)
    if isinstance(exc, FileNotFoundError):
        return Failure(exc.strerror or "not found", missing=True)
    if isinstance(exc, OSError):
        return Failure(exc.strerror or str(exc) or type(exc).__name__)
    # Anything else is the client's failure, not the file's: stop rather than skip samples.
    return Failure(f"{type(exc).__name__}: {exc}", remote=True)


def _tries(count: int) -> str:
    return "1 try" if count == 1 else f"{count} tries"


def explain(url: str, failure: Failure, tries: int, verb: str,
            error: type[SourceError] = SourceError) -> PathError:
    """The error a user sees: the URL, what failed (after how many tries), and the fix.
    Network and server failures are ``RemoteError``; the file's own problems ``error``."""
    attempts = f" ({_tries(tries)})" if failure.retry else ""
    if failure.remote:
        error = RemoteError
    if failure.unreachable and str(url).startswith("hf://"):
        return error(url, f"cannot reach the Hugging Face Hub (no network?): {failure.problem}"
                          f"{attempts}", HUB_FIX)
    return error(url, f"{verb}: {failure.problem}{attempts}", failure.fix)


def _timeout_of(fs: fsspec.AbstractFileSystem) -> float | None:
    """The read timeout an http(s) file system was made with (None: not one of ours)."""
    timeout = getattr(fs, "client_kwargs", {}).get("timeout")
    return getattr(timeout, "sock_read", None)


def attempt(url: str, action: Callable[[], T], verb: str, error: type[SourceError] = SourceError,
            missing: Callable[[], T] | None = None, timeout: float | None = None) -> T:
    """Run ``action`` (one network operation on ``url``), retrying what may pass on a second
    try; ``missing`` gives the result for a file that is not there (default: an error)."""
    current = settings()
    for tries in range(1, current.tries + 1):
        try:
            return action()
        except Exception as exc:  # noqa: BLE001 - classified below, never shown raw
            failure = diagnose(exc, timeout)
        if failure.missing and missing is not None:
            return missing()
        if not failure.retry or tries == current.tries:
            raise explain(url, failure, tries, verb, error) from None
        time.sleep(min(MAX_BACKOFF, 0.25 * 2 ** (tries - 1)))
    raise AssertionError("unreachable")  # pragma: no cover


def _local_error(path: str, exc: OSError, verb: str, error: type[SourceError]) -> SourceError:
    return error(path, f"{verb}: {exc.strerror or exc}")


# -- HTTP requests on the file system's session ----------------------------------------------
def _raise_for_status(response: aiohttp.ClientResponse) -> None:
    if response.status >= 400:
        raise HttpStatus(response.status, response.reason)


async def _http_size(fs: HTTPFileSystem, url: str) -> int | None:
    """Size from a HEAD request (None: not there); servers without HEAD or Content-Length
    are asked for byte 0, whose Content-Range carries the size."""
    session = await fs.set_session()
    async with session.head(fs.encode_url(url), allow_redirects=True, headers=IDENTITY) as response:
        if response.status in MISSING_STATUSES:
            return None
        if response.status not in (405, 501):
            _raise_for_status(response)
            if response.content_length is not None:
                return response.content_length
    headers = dict(IDENTITY, Range="bytes=0-0")
    async with session.get(fs.encode_url(url), headers=headers) as response:
        if response.status in MISSING_STATUSES:
            return None
        _raise_for_status(response)
        total = response.headers.get("Content-Range", "").rpartition("/")[2]
        if response.status == 206 and total.isdigit():
            return int(total)
        if response.status == 200 and response.content_length is not None:
            return response.content_length
    raise HttpStatus(response.status, "without the file size (no Content-Length)")


async def _http_get(fs: HTTPFileSystem, url: str, start: int | None, end: int | None) -> bytes:
    """The whole file, or bytes [start, end); a server that ignores Range is caught from the
    status and Content-Length, before any of the body is read."""
    headers = dict(IDENTITY)
    ranged = start is not None or end is not None
    if ranged:
        headers["Range"] = f"bytes={start or 0}-{'' if end is None else end - 1}"
    session = await fs.set_session()
    async with session.get(fs.encode_url(url), headers=headers) as response:
        _raise_for_status(response)
        if ranged and response.status != 206:
            whole_asked = not start and end is not None and response.content_length == end
            if not whole_asked:
                raise RangeIgnored(response.content_length)
        return await response.read()


# -- the operations -------------------------------------------------------------------------
def in_this_process(fs: fsspec.AbstractFileSystem) -> fsspec.AbstractFileSystem:
    """``fs``, or this process's own instance of it (same options) when ``fs`` is an async
    file system (http) made before a fork: DataLoader workers fork with the dataset, and
    fsspec refuses to use an inherited event loop ("This class is not fork-safe")."""
    pid = getattr(fs, "_pid", None)
    if pid is None or pid == os.getpid():
        return fs
    return type(fs)(*fs.storage_args, **fs.storage_options)


def exists(fs: fsspec.AbstractFileSystem, path: str, error: type[SourceError] = SourceError
           ) -> bool:
    """Whether ``path`` exists; network failures are errors, not False (fsspec's ``exists``
    would say False, or raise the Hub client's own exception)."""
    fs = in_this_process(fs)
    if isinstance(fs, LocalFileSystem):
        return fs.exists(path)
    if _is_http_fs(fs):
        return size(fs, path, error) is not None
    return attempt(path, lambda: bool(fs.info(path)), "cannot be opened", error,
                   missing=lambda: False)


def size(fs: fsspec.AbstractFileSystem, path: str, error: type[SourceError] = SourceError
         ) -> int | None:
    """Size in bytes of the file ``path``, or None if it is not there."""
    fs = in_this_process(fs)
    if isinstance(fs, LocalFileSystem):
        try:
            return fs.size(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise _local_error(path, exc, "cannot be opened", error) from None
    if _is_http_fs(fs):
        action = lambda: sync(fs.loop, _http_size, fs, path)  # noqa: E731
    else:
        action = lambda: fs.size(path)  # noqa: E731
    return attempt(path, action, "cannot be opened", error, missing=lambda: None,
                   timeout=_timeout_of(fs))


def read(fs: fsspec.AbstractFileSystem, path: str, start: int | None = None,
         end: int | None = None, error: type[SourceError] = SourceError) -> bytes:
    """Bytes [start, end) of ``path`` (the whole file by default). Remote reads are retried
    on timeouts, connection errors and 5xx; failures name ``path`` (``RemoteError`` when the
    server or network failed, else ``error``)."""
    fs = in_this_process(fs)
    if start is not None and start == end:
        return b""
    if isinstance(fs, LocalFileSystem):
        try:
            return fs.cat_file(path, start=start, end=end)
        except OSError as exc:
            raise _local_error(path, exc, "cannot be read", error) from None
    if _is_http_fs(fs):
        action = lambda: sync(fs.loop, _http_get, fs, path, start, end)  # noqa: E731
    else:
        action = lambda: fs.cat_file(path, start=start, end=end)  # noqa: E731
    return attempt(path, action, "cannot be read", error, timeout=_timeout_of(fs))


def listing(fs: fsspec.AbstractFileSystem, path: str, error: type[SourceError] = SourceError
            ) -> list[str]:
    """Every file below the folder ``path`` (fsspec ``find``); a missing folder is an error."""
    fs = in_this_process(fs)
    if isinstance(fs, LocalFileSystem):
        try:
            found = fs.find(path)
        except OSError as exc:
            raise _local_error(path, exc, "cannot be listed", error) from None
        if not found and not fs.isdir(path):
            raise error(path, "does not exist (no such folder)", "check the path (--data-dir)")
        return found
    return attempt(path, lambda: fs.find(path), "cannot be listed", error, timeout=_timeout_of(fs))
