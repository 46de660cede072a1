"""Where a build's files end up: a local folder, or any fsspec location (``s3://``, ``hf://``,
``gcs://``, ``memory://``, ``file://``).

A local folder is written in place. A URL is written through a local staging folder: a shard
is written there by the usual code, then its files are uploaded and its stats last, so the
remote stats file is still the completion marker (a shard whose stats are missing is redone).
Summaries, cards and previews are made in a staging copy of ``_stats/`` and uploaded the same
way. Nothing is ever written outside ``--out``: uploads go below the URL only.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from mattehub.core.errors import BuildError
from mattehub.output.layout import OutputLayout

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_ROOT = Path("/output")  # any root: only relative names are taken from this layout


def is_url(out: str | Path) -> bool:
    """True for an fsspec URL (``memory://x``, ``s3://b/x``); False for a local path."""
    return bool(_URL.match(str(out)))


class OutputTarget:
    """A build's output location (see the module docstring)."""

    def __init__(self, out: str | Path) -> None:
        self.out = str(out).rstrip("/")
        self.remote = is_url(self.out)
        if self.remote:
            from fsspec.core import url_to_fs

            try:
                self.fs, self.root = url_to_fs(self.out)
            except (ImportError, ValueError) as exc:
                raise BuildError(f"--out {self.out}: fsspec cannot open this location ({exc}); "
                                 "install its file system package (s3fs for s3://, gcsfs for "
                                 "gs://...) or build into a local folder") from None
            self.root = self.root.rstrip("/")

    @contextlib.contextmanager
    def staged(self) -> Iterator[OutputLayout]:
        """The layout to write into: the folder itself, or a fresh staging folder (removed
        afterwards) whose files ``upload`` sends to the URL."""
        if not self.remote:
            yield OutputLayout(self.out)
            return
        staging = Path(tempfile.mkdtemp(prefix="mattehub-staging-"))
        try:
            yield OutputLayout(staging, name=self.root.rsplit("/", 1)[-1])
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _url(self, rel: str) -> str:
        return f"{self.root}/{rel}"

    def upload(self, layout: OutputLayout, rels: list[str]) -> None:
        """Send the staged files ``rels`` (relative paths), in order, to the URL."""
        if not self.remote:
            return
        for rel in rels:
            self.fs.makedirs(self._url(rel).rsplit("/", 1)[0], exist_ok=True)
            self.fs.put_file(str(layout.root / rel), self._url(rel))

    def download(self, layout: OutputLayout, rels: list[str]) -> None:
        """Fetch ``rels`` that exist at the URL into the staging layout."""
        if not self.remote:
            return
        for rel in rels:
            if self.fs.exists(self._url(rel)):
                (layout.root / rel).parent.mkdir(parents=True, exist_ok=True)
                self.fs.get_file(self._url(rel), str(layout.root / rel))

    def remove_split(self, config: str, split: str) -> None:
        """Delete every shard, temp file and shard stats of ``config``/``split`` (only names a
        build of that split writes): ``--overwrite`` of a build with other options."""
        if not self.remote:
            from mattehub.build.sequence import remove_from

            remove_from(OutputLayout(self.out), config, split, 0)
            return
        for pattern in (f"{config}/{split}-*", f"wds/{config}/{split}-*", f"_stats/{config}/{split}-*.json"):
            for rel in self.glob(pattern):
                self.fs.rm(self._url(rel))

    def glob(self, pattern: str) -> list[str]:
        """Relative paths matching ``pattern`` (e.g. ``_stats/*/*.build.json``), sorted."""
        if not self.remote:
            return sorted(p.relative_to(self.out).as_posix() for p in Path(self.out).glob(pattern))
        return sorted(str(p)[len(self.root) + 1:] for p in self.fs.glob(self._url(pattern)))

    def read_json(self, rel: str):
        """A JSON file of the output, or None when missing or unreadable."""
        try:
            if not self.remote:
                return json.loads((Path(self.out) / rel).read_text(encoding="utf-8"))
            with self.fs.open(self._url(rel), "rb") as handle:
                return json.loads(handle.read().decode("utf-8"))
        except (OSError, ValueError):
            return None

    def complete_stats(self, config: str, split: str, number: int, fingerprint: str,
                       formats: tuple[str, ...]) -> dict | None:
        """Shard ``number``'s stats when it is complete and of this build: every file with
        the size *and sha256* its stats recorded (a flipped byte is redone); else None."""
        names = OutputLayout(_ROOT)
        stats = self.read_json(names.relative(names.shard_stats(config, split, number)))
        if not stats or stats.get("fingerprint") != fingerprint or set(stats["files"]) != set(formats):
            return None
        for info in stats["files"].values():
            if self._digest(info["path"], info["bytes"]) != info["sha256"]:
                return None
        return stats

    def _digest(self, rel: str, size: int) -> str | None:
        """sha256 of ``rel`` when it exists with ``size`` bytes, else None."""
        try:
            if self.remote:
                if self.fs.size(self._url(rel)) != size:
                    return None
                with self.fs.open(self._url(rel), "rb") as handle:
                    return stream_sha256(handle)
            path = Path(self.out) / rel
            if not path.is_file() or path.stat().st_size != size:
                return None
            with open(path, "rb") as handle:
                return stream_sha256(handle)
        except OSError:
            return None


def stream_sha256(handle) -> str:
    """sha256 of everything ``handle`` still has to read, 1 MiB at a time."""
    digest = hashlib.sha256()
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()
