"""Where everything lives in an output folder: the one place that formats shard names.

::

    OUT/README.md                               dataset card: the Parquet configs
    OUT/wds/README.md                           dataset card: the WebDataset configs
    OUT/preview/<config>/<split>.png            contact sheet of the split's first samples
    OUT/<config>/<split>-NNNNNN.parquet         Parquet shards
    OUT/wds/<config>/<split>-NNNNNN.tar         WebDataset shards
    OUT/wds/<config>/<split>.index.json         wids-style shard index
    OUT/_stats/<config>/<split>-NNNNNN.json     per-shard stats, written last (completion marker)
    OUT/_stats/<config>/<split>.build.json      options, fingerprint, source report
    OUT/_stats/<config>/<split>.json            split summary, written when the split is done
    OUT/_stats/index.json                       configs and splits in the folder
    OUT/_sources/                               the demo's generated sources (never uploaded)
    OUT/.cache/mattehub-push/                   ``mattehub push``'s staged view (never uploaded)

A file being written carries ``.tmp-<pid>-<host>`` after its final name (``temp_path``) until
it is renamed into place; a cleanup leaves the temp files of live writers (``live_temp``). ``NAMES`` spells the same paths relative to the folder (for URLs).
The Parquet card names a config like the config (``i-him``), the WebDataset card adds
``WDS_SUFFIX`` (``i-him-wds``): ``CONFIG_SUFFIX``.

Two cards, because ``datasets`` (5.x) picks ONE builder module per dataset root, from the
files of the first config in its card: a root declaring Parquet and WebDataset configs
loads the tars with the Parquet reader and fails. So ``OUT`` is the Parquet dataset and
``OUT/wds`` the WebDataset one.
"""
from __future__ import annotations

import hashlib
import os
import re
import socket
from pathlib import Path


FORMAT_SUFFIX = {"parquet": ".parquet", "webdataset": ".tar"}
SHARD_DIGITS = 6
TMP_MARK = ".tmp-"
STATS_DIR = "_stats"
WDS_DIR = "wds"
PREVIEW_DIR = "preview"
CARD = "README.md"
RECORD_SUFFIX = ".build.json"
SOURCES_DIR = "_sources"
"""The demo's generated sources (``mattehub demo OUT``)."""
CACHE_DIR = ".cache"
PUSH_STAGING = f"{CACHE_DIR}/mattehub-push"
"""Where ``mattehub push --config`` stages its view of the folder."""
WDS_SUFFIX = "-wds"
CONFIG_SUFFIX = {"parquet": "", "webdataset": WDS_SUFFIX}
"""What a card's config name adds to the config's name, per format."""


def owning_output(folder: str | Path) -> Path | None:
    """The mattehub output folder that ``folder`` lies inside (an ancestor holding
    ``_stats/``), or None. A build there would write into another output's files."""
    resolved = Path(folder).resolve()
    for ancestor in resolved.parents:
        if (ancestor / STATS_DIR).is_dir():
            return ancestor
    return None


class OutputLayout:
    """Paths of one output folder."""

    def __init__(self, root: str | Path, name: str | None = None) -> None:
        self.root = Path(root)
        self.name = name
        """The folder's name when ``root`` stands in for another place (a staging copy)."""

    def shard_name(self, split: str, number: int, fmt: str) -> str:
        return f"{split}-{number:0{SHARD_DIGITS}d}{FORMAT_SUFFIX[fmt]}"

    def shard_dir(self, config: str, fmt: str) -> Path:
        return self.card_root(fmt) / config

    def shard(self, config: str, split: str, number: int, fmt: str) -> Path:
        return self.shard_dir(config, fmt) / self.shard_name(split, number, fmt)

    def stats_root(self) -> Path:
        """``_stats/``: its presence marks a mattehub output folder."""
        return self.root / STATS_DIR

    def stats_dir(self, config: str) -> Path:
        return self.stats_root() / config

    def shard_stats(self, config: str, split: str, number: int) -> Path:
        return self.stats_dir(config) / f"{split}-{number:0{SHARD_DIGITS}d}.json"

    def build_record(self, config: str, split: str) -> Path:
        return self.stats_dir(config) / f"{split}{RECORD_SUFFIX}"

    def split_summary(self, config: str, split: str) -> Path:
        return self.stats_dir(config) / f"{split}.json"

    def wids_index(self, config: str, split: str) -> Path:
        return self.shard_dir(config, "webdataset") / f"{split}.index.json"

    def preview(self, config: str, split: str) -> Path:
        """Contact sheet of one split (one per split: splits of a config differ, e.g. easy/hard)."""
        return self.preview_dir(config) / f"{split}.png"

    def preview_dir(self, config: str) -> Path:
        return self.root / PREVIEW_DIR / config

    def card_root(self, fmt: str) -> Path:
        """The dataset root whose README.md declares the configs of format ``fmt``."""
        return self.root if fmt == "parquet" else self.root / WDS_DIR

    def card(self, fmt: str) -> Path:
        """The dataset card declaring the configs of format ``fmt``."""
        return self.card_root(fmt) / CARD

    def folder_index(self) -> Path:
        return self.stats_root() / "index.json"

    def sources_dir(self) -> Path:
        """``_sources/``: where the demo writes the small sources it builds from."""
        return self.root / SOURCES_DIR

    def push_staging(self) -> Path:
        """``.cache/mattehub-push/``: where ``mattehub push --config`` stages its view."""
        return self.root / PUSH_STAGING

    def numbered_places(self, config: str) -> list[tuple[Path, str]]:
        """(folder, suffix) of each kind of numbered file a split writes: every format's
        shards and the shard stats (``split_file_number`` reads their names)."""
        places = [(self.shard_dir(config, fmt), suffix) for fmt, suffix in FORMAT_SUFFIX.items()]
        return places + [(self.stats_dir(config), ".json")]

    def written_folders(self, config: str | None = None) -> list[Path]:
        """Every folder a build or finalize of ``config`` writes into or deletes from (the
        card roots, ``_stats/``, ``preview/``; with ``config``, its shard, stats and preview
        folders): none may lead out of the output folder (``output.checks.inside_out``)."""
        folders = [self.card_root(fmt) for fmt in FORMAT_SUFFIX]
        folders += [self.stats_root(), self.root / PREVIEW_DIR]
        if config is not None:
            folders += [self.shard_dir(config, fmt) for fmt in FORMAT_SUFFIX]
            folders += [self.stats_dir(config), self.preview_dir(config)]
        return folders

    def record_pattern(self, config: str = "*") -> str:
        """Glob (relative) of the build records of ``config`` (every config: ``*``)."""
        return self.relative(self.build_record(config, "*"))

    def summary_candidates(self) -> str:
        """Glob (relative) of every JSON in a config's stats folder; ``is_summary`` picks."""
        return self.relative(self.stats_dir("*") / "*.json")

    def data_files_pattern(self, config: str, split: str, fmt: str) -> str:
        """Glob for the card's ``configs:`` entry, relative to that card's root (POSIX)."""
        rel = self.shard_dir(config, fmt).relative_to(self.card_root(fmt)).as_posix()
        return f"{rel}/{split}-*{FORMAT_SUFFIX[fmt]}"

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def summaries(self) -> list[Path]:
        """Every finished split summary in the folder, sorted."""
        return sorted(p for p in self.root.glob(self.summary_candidates()) if is_summary(p))

    def all_shard_stats(self) -> list[Path]:
        """Every shard stats file in the folder, sorted."""
        return sorted(p for p in self.root.glob(self.summary_candidates()) if is_shard_stats(p))


NAMES = OutputLayout(".")
"""The layout's paths relative to the folder (``NAMES.relative(...)``): URL suffixes."""


def config_of_card_name(name: str) -> str:
    """The config a card's config name stands for (``i-him-wds`` -> ``i-him``)."""
    return name[:-len(WDS_SUFFIX)] if name.endswith(WDS_SUFFIX) else name


def is_shard_stats(path: Path) -> bool:
    stem = path.stem
    return "-" in stem and stem.rsplit("-", 1)[1].isdigit() and len(stem.rsplit("-", 1)[1]) == SHARD_DIGITS


def is_summary(path: Path) -> bool:
    """Whether a JSON file of a stats folder is a split summary (not a record or shard stats)."""
    return not path.name.endswith(RECORD_SUFFIX) and not is_shard_stats(path)


def record_names(rel: str) -> tuple[str, str]:
    """(config, split) of a build record's relative path (``record_pattern``)."""
    config, name = rel.split("/")[-2:]
    return config, name[:-len(RECORD_SUFFIX)]


def temp_path(final: Path, hidden: bool = False) -> Path:
    """Where this process writes ``final`` before renaming it into place: ``.tmp-<pid>-<host>``
    after its name, unique per process even in a folder several machines write (``hidden``:
    a dot name, for folders other tools list, such as an export)."""
    owner = f"{os.getpid()}-{_HOST}"
    return final.with_name(f"{'.' if hidden else ''}{final.name}{TMP_MARK}{owner}")


_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
"""This machine, in temp names (``temp_path``), so a cleanup can tell whose they are."""
_TEMP_OWNER = rf"{re.escape(TMP_MARK)}(\d+)(?:-([0-9a-f]{{8}}))?"
"""A temp name's tail: the writer's pid and machine (names of older versions: the pid only)."""


def split_file_number(name: str, split: str, suffix: str) -> tuple[int, bool] | None:
    """(shard number, is temp) when ``name`` is a numbered file of ``split`` with ``suffix``
    (``<split>-NNNNNN<suffix>`` or its temp name), else None: nothing else is a build's."""
    pattern = rf"{re.escape(split)}-(\d{{{SHARD_DIGITS}}}){re.escape(suffix)}({_TEMP_OWNER})?"
    match = re.fullmatch(pattern, name)
    return (int(match.group(1)), match.group(2) is not None) if match else None


def live_temp(name: str) -> bool:
    """Whether temp file ``name`` may still be written: by another running process of this
    machine, or by another machine (whose processes cannot be checked). A cleanup leaves it,
    so two builds racing on one range both finish; a dead writer's temp file is removed."""
    match = re.search(rf"{_TEMP_OWNER}$", name)
    if match is None or match.group(2) is None:
        return False  # no owner recorded: an older version's leftover
    pid = int(match.group(1))
    if match.group(2) != _HOST:
        return True
    return pid != os.getpid() and _running(pid)


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
