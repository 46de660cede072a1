"""``mattehub export``: one split of a built config written back as the folders its
upstream training code reads.

The engine is the same for every config: it opens the split (``shards.open_split``: the
Parquet shards checked against their stats), picks the config's exporter (its registry
line's ``export``; a config mattehub does not know gets the first exporter declared for
its family), refuses a config that lacks a field the layout needs, checks ``--out``
(``files.check_out``), then hands the samples in shard order to the exporter, which puts
each sample's stored bytes through ``files.Files``: atomic, inside ``--out``, never
re-encoded. A progress bar counts samples.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from mattehub.core.errors import BuildError
from mattehub.export import shards as shard_reader
from mattehub.export.files import Files, check_out
from mattehub.families.exporting import Exporter
from mattehub.families.registry import CONFIGS, load
from mattehub.output.checks import os_error


@dataclass
class ExportReport:
    """What an export wrote, for the CLI to print."""

    samples: int
    files: int
    """Distinct data files written (index files not counted)."""
    bytes: int
    """Their total size."""
    out: Path
    layout: str = ""
    index_files: tuple[str, ...] = ()
    renamed: int = 0
    """Distinct files whose extension was changed to match their bytes."""

    def format(self) -> str:
        """One line for the CLI."""
        index = f" and {', '.join(self.index_files)}" if self.index_files else ""
        renamed = (f"; {self.renamed} extension(s) changed to match the stored bytes"
                   if self.renamed else "")
        layout = f" ({self.layout} layout)" if self.layout else ""
        return (f"exported {self.samples} samples: {self.files} files "
                f"({self.bytes / 1e6:.1f} MB){index} in {self.out}{layout}{renamed}")


def exporter_class(config: str, family: str) -> type[Exporter]:
    """The exporter of ``config`` (its registry line's); for a config the registry does not
    list, the first exporter declared for ``family``. BuildError when there is none."""
    line = CONFIGS.get(config)
    if line is not None and line.export:
        return load(line.export)
    for other in CONFIGS.values():
        if other.export and family in load(other.export).families:
            return load(other.export)
    raise BuildError(f"config {config!r} (family {family!r}) has no exporter: `mattehub export` "
                     f"writes {', '.join(name for name, l in CONFIGS.items() if l.export)}")


def export_config(folder: str | Path, out: str | Path, config: str, split: str = "train",
                  overwrite: bool = False, progress: bool = True,
                  exporter: type[Exporter] | None = None) -> ExportReport:
    """Write ``split`` of ``config`` in shard folder ``folder`` to ``out`` in the layout of
    the config's exporter (``exporter``: another one). BuildError for a folder without the
    config or split, a damaged shard, an unsuitable ``out``, a field the layout needs but the
    config does not store, or an unsafe or conflicting path."""
    folder, out = Path(folder), Path(out)
    split_info = shard_reader.open_split(folder, config, split)
    chosen = exporter or exporter_class(config, split_info.family)
    if split_info.family not in chosen.families:
        raise BuildError(f"{folder}: {config} is of family {split_info.family!r}; the "
                         f"{chosen.layout} layout is written from "
                         f"{', '.join(chosen.families)} configs only")
    lacking = [name for name in chosen.needs if name not in split_info.fields]
    if lacking:
        raise BuildError(f"{folder}: {config}/{split} does not store {', '.join(lacking)}, "
                         f"which the {chosen.layout} layout needs; export writes stored bytes "
                         "only and invents none (see docs/export.md for what each config gives)")
    check_out(folder, out, overwrite, chosen.index_files)
    return _run(chosen(split), split_info, folder, out, f"export {config}/{split}", progress)


def _run(exporter: Exporter, split_info: shard_reader.Split, folder: Path, out: Path,
         desc: str, progress: bool) -> ExportReport:
    """Hand every sample to ``exporter``; rename the index files last."""
    files = Files(out, folder, exporter.index_files)
    count = 0
    try:
        with tqdm(total=split_info.samples, unit="sample", disable=not progress, desc=desc) as bar:
            for key, fields in shard_reader.samples(split_info.shards):
                exporter.sample(files, key, fields)
                count += 1
                bar.update(1)
        exporter.finish(files)
        files.finish()
    except OSError as exc:
        raise os_error(exc, out) from None
    finally:
        files.discard()
    return ExportReport(count, files.count, files.size, out, exporter.layout,
                        tuple(files.indexed), files.renamed)
