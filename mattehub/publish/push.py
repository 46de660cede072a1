"""The local half of ``mattehub push``: what would be uploaded, and the checks before it.

Nothing here talks to the network (``mattehub push --dry-run`` is this module alone);
``mattehub.publish.hub`` adds the token and the Hub client.

* **staging**: the folder to upload. Without ``--config`` it is the output folder itself.
  With ``--config C ...`` it is a view holding only those configs (their Parquet shards,
  tars and wids indexes, ``_stats/`` records and preview sheets, hard-linked from the output
  folder, else symlinked, else copied) under ``OUT/.cache/mattehub-push/<OUT name>/`` (or a
  temp folder when ``OUT`` is read-only), with both cards and ``_stats/index.json``
  **regenerated** by ``mattehub.output.card.write_card`` from those configs' split summaries: the
  cards that a build of only those configs would have written, so they declare exactly
  what is pushed. The view is removed afterwards; ``OUT`` itself is never changed.
* **checks**: ``mattehub.verify.verify_folder`` on the staged folder; the configs each card
  declares against the split summaries (a stale card); and every declared config loaded
  with ``datasets.load_dataset(card root, config, streaming=True)``, one row of each split.
* **files**: every file under the staged folder minus ``IGNORE`` and huggingface_hub's own
  default ignores, with its size (``list_files``): what ``mattehub.publish.repos`` splits into
  the Parquet repo and the WebDataset repo.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from huggingface_hub.utils import DEFAULT_IGNORE_PATTERNS, filter_repo_objects

from mattehub.core.errors import MattehubError
from mattehub.core.jsonio import read_json
from mattehub.output.layout import (CACHE_DIR, CARD, CONFIG_SUFFIX, SOURCES_DIR, STATS_DIR, TMP_MARK,
                                    OutputLayout, config_of_card_name)

# The in-function imports below are there for weight only (none avoids a cycle): the card
# writer and verify pull datasets, pyarrow and pandas, huggingface_hub's DatasetCard its Hub
# client, and datasets loads the cards. `mattehub push` refuses a wrong folder or --config
# (check_folder, select_configs) before paying for them.

IGNORE = [f"{SOURCES_DIR}/*", f"{CACHE_DIR}/*", f"*/{CACHE_DIR}/*", f"*{TMP_MARK}*", "*.tmp"]
"""Never uploaded (fnmatch patterns on POSIX paths relative to the folder, ``*`` spans
``/``): the demo's generated sources, caches (the staged view lives in ``.cache/``) and
temp files of interrupted writes. huggingface_hub adds its own (``.git``...)."""


class PushError(MattehubError):
    """``mattehub push`` refused or failed; nothing (or, for an upload error, not all) was uploaded."""


@dataclass
class PushPlan:
    """What a push uploads from ``root`` (the output folder or its staged view)."""

    source: Path
    root: Path
    configs: list[str]
    checks: list[str] = field(default_factory=list)
    """One line per check passed."""


def format_files(files: list[tuple[str, int]]) -> str:
    """One ``size  path`` line per file, then the total."""
    total = sum(size for _, size in files)
    width = max([len(f"{size:,d}") for _, size in files] + [1])
    lines = [f"{size:>{width},d}  {path}" for path, size in files]
    lines.append(f"{len(files)} files, {total:,d} bytes ({human_size(total)})")
    return "\n".join(lines)


def human_size(num_bytes: int) -> str:
    size = float(num_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def ignore_patterns() -> list[str]:
    """``IGNORE`` plus huggingface_hub's default ignores, as ``upload_folder`` applies them."""
    return IGNORE + [p for p in DEFAULT_IGNORE_PATTERNS if p not in IGNORE]


def list_files(root: Path) -> list[tuple[str, int]]:
    """Every file under ``root`` that ``upload_folder(root, ignore_patterns=IGNORE)`` sends."""
    found = {path.relative_to(root).as_posix(): path for path in root.glob("**/*") if path.is_file()}
    kept = filter_repo_objects(sorted(found), ignore_patterns=ignore_patterns())
    return [(rel, found[rel].stat().st_size) for rel in kept]


# --- the folder ---------------------------------------------------------------------------

def folder_configs(folder: Path) -> list[str]:
    """Configs with a finished split summary in the output folder."""
    return sorted({path.parent.name for path in OutputLayout(folder).summaries()})


def check_folder(folder: Path) -> None:
    """Refuse what is not a finished mattehub output folder, before any other work."""
    if not folder.is_dir():
        raise PushError(f"{folder}: does not exist or is not a folder; give the folder you "
                        "passed to `mattehub build --out`")
    layout = OutputLayout(folder)
    if not layout.stats_root().is_dir():
        raise PushError(f"{folder}: not a mattehub output folder (it has no {STATS_DIR}/ "
                        "folder); give the folder you passed to `mattehub build --out`")
    if not layout.card("parquet").is_file() and not layout.card("webdataset").is_file():
        raise PushError(f"{folder} has no {CARD} dataset card: build a config into it first")


def select_configs(folder: Path, wanted: list[str] | None) -> list[str]:
    """The configs to push: all of the folder's, or ``wanted`` (each must be in the folder;
    a ``-wds`` name means its config)."""
    present = folder_configs(folder)
    if not present:
        raise PushError(f"{folder}: {STATS_DIR}/ holds no finished split summary: build a "
                        "config into it first")
    if not wanted:
        return present
    chosen = sorted({config_of_card_name(c) if config_of_card_name(c) in present else c
                     for c in wanted})
    unknown = [c for c in chosen if c not in present]
    if unknown:
        raise PushError(f"--config {', '.join(unknown)}: not in {folder} (its configs: "
                        f"{', '.join(present)})")
    return chosen


def _link(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        try:
            dst.symlink_to(src.resolve())
        except OSError:
            shutil.copy2(src, dst)


def _config_files(layout: OutputLayout, config: str) -> Iterator[Path]:
    """Every file of one config: shards of both formats, wids indexes, records, previews."""
    for folder in (layout.shard_dir(config, "parquet"), layout.shard_dir(config, "webdataset"),
                   layout.stats_dir(config), layout.preview_dir(config)):
        if folder.is_dir():
            yield from (path for path in sorted(folder.rglob("*")) if path.is_file())


def _staging_parent(folder: Path) -> Path:
    """Where the staged view goes: ``OUT/.cache/mattehub-push/`` (hard links work there),
    else a temp folder."""
    try:
        parent = OutputLayout(folder).push_staging()
        parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="view-", dir=parent))
    except OSError:
        return Path(tempfile.mkdtemp(prefix="mattehub-push-"))


@contextmanager
def staged(folder: Path, configs: list[str]) -> Iterator[Path]:
    """The folder to upload: ``folder`` itself when every config is pushed, else a view of
    ``configs`` with regenerated cards (removed on exit)."""
    if sorted(configs) == folder_configs(folder):
        yield folder
        return
    from mattehub.output.card import write_card   # pulls datasets: see the imports

    parent = _staging_parent(folder)
    try:
        root = parent / folder.resolve().name   # the cards' snippets name the output folder
        source = OutputLayout(folder)
        for config in configs:
            for path in _config_files(source, config):
                _link(path, root / source.relative(path))
        write_card(OutputLayout(root))
        yield root
    finally:
        shutil.rmtree(parent, ignore_errors=True)
        staging = OutputLayout(folder).push_staging()
        try:
            staging.rmdir()
            staging.parent.rmdir()
        except OSError:
            pass


# --- checks -------------------------------------------------------------------------------

def card_configs(card_root: Path) -> dict[str, dict[str, str]]:
    """config name -> split -> data_files path, as the card in ``card_root`` declares them."""
    from huggingface_hub import DatasetCard   # the Hub client's card module: see the imports

    data = DatasetCard.load(card_root / CARD).data.to_dict()
    declared = {}
    for entry in data.get("configs") or []:
        files = entry.get("data_files")
        if isinstance(files, str):
            files = [{"split": "train", "path": files}]
        declared[entry["config_name"]] = {item["split"]: item["path"] for item in files or []
                                          if isinstance(item, dict)}
    return declared


def expected_configs(layout: OutputLayout) -> dict[str, dict[str, set[str]]]:
    """card root (relative, '' or 'wds') -> config name -> splits, from the split summaries."""
    expected: dict[str, dict[str, set[str]]] = {}
    for path in layout.summaries():
        summary = read_json(path)
        if not summary:
            continue
        for fmt in summary.get("files", {}):
            card = layout.card_root(fmt).relative_to(layout.root).as_posix().strip(".")
            name = summary["config"] + CONFIG_SUFFIX[fmt]
            expected.setdefault(card, {}).setdefault(name, set()).add(summary["split"])
    return expected


def _card_label(card: str) -> str:
    return f"{card}/{CARD}" if card else CARD


def check_cards(root: Path) -> tuple[list[str], list[str]]:
    """(problems, passed checks) of the cards in ``root``: the configs and splits each card
    declares equal the split summaries, and every declared config loads one row per split."""
    import datasets   # see the imports

    layout = OutputLayout(root)
    problems, passed = [], []
    with tempfile.TemporaryDirectory(prefix="mattehub-push-check-") as cache:
        for card, wanted in sorted(expected_configs(layout).items()):
            _check_card(datasets, root, card, wanted, cache, problems, passed)
    return problems, passed


def _check_card(datasets, root: Path, card: str, wanted: dict[str, set[str]], cache: str,
                problems: list[str], passed: list[str]) -> None:
    """``check_cards`` for the card in ``root/card``."""
    label, card_root = _card_label(card), root / card if card else root
    if not (card_root / CARD).is_file():
        problems.append(f"{label}: missing, but {', '.join(sorted(wanted))} have shards "
                        "of its format")
        return
    try:
        declared = card_configs(card_root)
    except Exception as exc:  # noqa: BLE001 - a damaged card is a problem line
        problems.append(f"{label}: cannot be read ({type(exc).__name__}: {exc})")
        return
    for name in sorted(set(wanted) | set(declared)):
        if name not in declared:
            problems.append(f"{label}: does not declare config {name} (the card is stale: "
                            "re-run `mattehub build` or `mattehub stats` to rewrite it)")
        elif name not in wanted:
            problems.append(f"{label}: declares config {name} whose split summaries are "
                            "missing (the card is stale)")
        elif set(declared[name]) != wanted[name]:
            problems.append(f"{label}: config {name} declares splits "
                            f"{', '.join(sorted(declared[name]))} but the folder has "
                            f"{', '.join(sorted(wanted[name]))}")
    for name in sorted(declared):
        problem = _load_problem(datasets, card_root, name, sorted(declared[name]), cache)
        if problem:
            problems.append(f"{label}: config {name} does not load: {problem}")
        else:
            passed.append(f"{label}: {name} loads ({', '.join(sorted(declared[name]))})")


def _load_problem(datasets, card_root: Path, name: str, splits: list[str],
                  cache: str | None = None) -> str | None:
    """Why ``load_dataset(card_root, name, streaming=True)`` fails to give one row of each
    split, or None (``cache``: the cache_dir, a temp folder so the user's stays clean)."""
    try:
        loaded = datasets.load_dataset(str(card_root), name, streaming=True, cache_dir=cache)
        for split in splits:
            if split not in loaded:
                return f"split {split} is missing (got {', '.join(loaded)})"
            try:
                next(iter(loaded[split]))
            except StopIteration:
                return f"split {split} has no rows"
    except Exception as exc:  # noqa: BLE001 - every failure is reported, never a traceback
        message = " ".join(str(exc).split())
        if len(message) > 600:   # a cast error prints both schemas; the reason comes last
            message = f"{message[:300]} ... {message[-250:]}"
        return f"{type(exc).__name__}: {message}"
    return None


def check(root: Path, progress: bool = True) -> list[str]:
    """Run every check on ``root``; PushError listing the problems, else the passed checks."""
    from mattehub.verify import verify_folder   # pulls datasets: see the imports

    report = verify_folder(root, progress=progress)
    if not report.ok:
        raise PushError(f"verify found {len(report.problems)} problem"
                        f"{'' if len(report.problems) == 1 else 's'}; nothing was uploaded\n"
                        + report.format())
    passed = [f"verify: {report.format().split(': ', 1)[-1]}"]
    problems, loaded = check_cards(root)
    if problems:
        raise PushError("the dataset cards do not load as declared; nothing was uploaded\n"
                        + "\n".join(f"  {p}" for p in problems))
    return passed + loaded
