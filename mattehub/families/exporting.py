"""What a family's exporter is: the layout half of ``mattehub export``.

``mattehub export CONFIG FOLDER --out DIR`` writes a built config back as the folders its
upstream training code reads. The work is split in two so that family folders stay below
``output/`` and ``formats/`` (the layers rule): the export engine (``mattehub/export/``)
reads the shards sample by sample, checks and creates ``--out``, writes every file
atomically and never outside ``--out``; a family's ``export.py`` only says where each
sample's stored bytes go, through the ``Sink`` it is handed. Exporters of layouts that
several families write (MaGGIe's, shared by the synthesised and release HIM configs) live in
the shared ``him_export.py``, like ``him_meta.py``.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import ClassVar, Protocol

from mattehub.contract.codecs import sniff_format
from mattehub.core.errors import BuildError


class Sink(Protocol):
    """Where an exporter puts files (the engine's ``export.files.Files``)."""

    def put(self, path: str, data: bytes, who: str) -> str:
        """Write ``data`` at ``path`` below ``--out`` (its extension changed when the bytes
        are another image format: nothing is re-encoded); returns the path written."""

    def line(self, name: str, text: str) -> None:
        """Append one line to index file ``name`` (one of the exporter's ``index_files``,
        renamed into place after every data file)."""


class Exporter:
    """One layout: subclasses set the class attributes and ``sample``.

    An exporter is made per export (``Exporter(split)``) and sees the samples in shard
    order; it may keep state across them (running numbers, an index file's rows).
    """

    layout: ClassVar[str]
    """The layout's name, for messages and docs (``MaGGIe image``, ``Adobe training``...)."""
    families: ClassVar[tuple[str, ...]]
    """The families (a split summary's ``family``) whose samples it knows how to place."""
    needs: ClassVar[tuple[str, ...]] = ()
    """Fields the layout cannot do without: a config lacking one is refused up front,
    naming the field (export never invents data a config does not store)."""
    index_files: ClassVar[tuple[str, ...]] = ()
    """Files written line by line (``Sink.line``) and renamed last, in this order."""

    def __init__(self, split: str) -> None:
        self.split = split

    def sample(self, sink: Sink, key: str, fields: dict) -> None:
        """Put one sample's files (``fields``: stored bytes, lists of bytes, ``meta``)."""
        raise NotImplementedError

    def finish(self, sink: Sink) -> None:
        """Put the files that need every sample (a layout's whole-set JSON), after the last
        one; nothing by default."""


def required(fields: dict, name: str, key: str, layout: str) -> object:
    """``fields[name]``, or a BuildError saying that sample ``key`` lacks what ``layout``
    needs (a null value in a row: a damaged or hand-made shard)."""
    value = fields.get(name)
    if value is None:
        raise BuildError(f"sample {key} has no {name}: the {layout} layout needs it; "
                         "`mattehub verify` the folder, and rebuild the split if it fails")
    return value


def meta_of(fields: dict, key: str, *names: str) -> list:
    """The values of ``meta`` keys ``names``; BuildError naming the first one missing."""
    meta = fields.get("meta") or {}
    for name in names:
        if meta.get(name) in (None, ""):
            raise BuildError(f"sample {key} has no meta.{name}: the folder was not built by a "
                             "recipe that records it; rebuild it with this mattehub")
    return [meta[name] for name in names]


def component(name: object, key: str, what: str) -> str:
    """``name`` as one path component (a file or folder name taken from ``meta``):
    BuildError when it is empty, ``.``/``..`` or holds a slash, backslash or control
    character, so a sample can never place a file outside its folder."""
    text = str(name)
    if (text in ("", ".", "..") or "/" in text or "\\" in text
            or any(ord(char) < 32 for char in text)):
        raise BuildError(f"sample {key}: {what} {text!r} is not a plain file name; export "
                         "writes only inside --out")
    return text


def stem(name: str) -> str:
    """A file name without its extension (``a.b.png`` -> ``a.b``)."""
    return PurePosixPath(name).stem


def named(base: str, data: bytes, default: str = "png") -> str:
    """``base`` with the extension of ``data``'s format (``.jpg`` for JPEG bytes, ``.png``
    for PNG; ``default`` when neither), so a file is named for what it holds."""
    return f"{base}.{sniff_format(data) or default}"


def numbered(items: Iterable[bytes]) -> list[tuple[str, bytes]]:
    """``(NN, bytes)`` for MaGGIe's per-instance files ``00.png``, ``01.png``..."""
    return [(f"{k:02d}", data) for k, data in enumerate(items)]
