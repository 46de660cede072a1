"""``mattehub verify DIR``: check every shard of an output folder against its stats, streaming.

What is checked, per split (``_stats/<config>/<split>.json``) and per shard stats file
(``_stats/<config>/<split>-NNNNNN.json``):

* **records**: the split summary exists (the build finished), lists the same shard files,
  sample and byte totals as the shard stats; shard numbers run 0, 1, ... without gaps and
  their index ranges follow each other;
* **files**: every recorded shard of every format exists at its layout path, with the
  recorded size and sha256; a shard file (or temp file) on disk that no stats record is
  reported too;
* **rows**: the row count equals the stats' ``samples`` (Parquet rows; tar samples grouped
  by key), keys are unique and the same, in the same order, in both formats;
* **fields**: each sample has the fields the split summary declares, and every field
  decodes (images with OpenCV after a chunk/CRC check, msgpack lists and clips of PNG/JPEG
  bytes, meta JSON);
* **sizes**: every picture of a sample has the size of its ``image`` (image samples) or of
  its first frame (clips), and ``meta.width``/``meta.height`` say the same;
* **folder files**: each split summary has its keys with their types, the build record it
  came from (same fingerprint), the wids index listing every tar's size, md5 and sample
  count as the stats record them (and the tars have that md5), the preview sheet; the folder
  index ``_stats/index.json`` declares exactly the finished splits, and both dataset cards
  are the text the card writer makes from the summaries (only the folder's name may differ:
  the folder may have been moved), so a deleted, damaged or replaced file is named;
* **mattes**: where a sample has ``alpha`` and ``instance_alphas``,
  ``|alpha - min(255, sum(instance_alphas))| <= n`` at every pixel for n instances. The
  stored mattes are quantised separately (i-him) so the sum may be off by up to one level
  per instance; measured on 1500 i-him samples the largest difference was 1 level (with 3
  or 4 instances), 0 with 1 or 2; release configs store ``alpha`` as exactly that sum.

Shards are read one at a time (Parquet: one row group at a time), and damaged files become
problem lines naming the shard file (and row, key and field), never a traceback. Rows are
numbered from 0 within their shard file.

The package splits the work: ``records`` checks the stats records, ``folder_files`` the
files beside the shards, ``files`` one shard's
files and keys, ``reading`` reads shard files row by row, ``samples`` checks each sample, and
``report`` collects the problem lines.
"""
from __future__ import annotations

from pathlib import Path

from tqdm.auto import tqdm

from mattehub.core.errors import BuildError
from mattehub.output.layout import STATS_DIR, OutputLayout
from mattehub.output.target import is_url
from mattehub.verify.files import check_shard
from mattehub.verify.folder_files import check_folder_files, check_split_files, summary_problems
from mattehub.verify.records import (Split, check_records, check_unrecorded, find_splits,
                                     shard_files)
from mattehub.verify.remote import local_copy
from mattehub.verify.report import VerifyReport

__all__ = ["VerifyReport", "verify_folder"]


def verify_folder(root: str | Path, progress: bool = True) -> VerifyReport:
    """Check every shard of every format in the output folder ``root`` (a path, or the
    fsspec URL it was built to) against its stats, and the files beside them."""
    if is_url(root):
        with local_copy(str(root)) as folder:
            return _verify(_open_layout(folder, str(root)), str(root), progress)
    return _verify(_open_layout(root), Path(root), progress)


def _verify(layout: OutputLayout, shown: str | Path, progress: bool) -> VerifyReport:
    """``verify_folder`` on ``layout``, the report naming the folder ``shown``."""
    report = VerifyReport(shown)
    splits = find_splits(layout, report)
    if not splits and report.ok:
        report.problems.append(f"{STATS_DIR}/: holds no split summary or shard stats (nothing to verify)")
    sound = _check_summaries(layout, splits, report)
    for split in splits:
        where = layout.relative(layout.split_summary(split.config, split.name))
        _guarded(report, where, check_records, layout, split, report)
        if split.summary is not None:
            _guarded(report, where, check_split_files, layout, split, report)
    if sound and any(split.summary is not None for split in splits):
        _guarded(report, STATS_DIR, check_folder_files, layout,
                 [split.summary for split in splits if split.summary is not None], report)
    jobs = sum(len(shard_files(stats)) for split in splits for stats in split.stats.values())
    with tqdm(total=jobs, unit="shard", desc="verify", disable=not progress) as bar:
        for split in splits:
            report.checked["split"] += 1
            for number in sorted(split.stats):
                where = layout.relative(layout.shard_stats(split.config, split.name, number))
                _guarded(report, where, check_shard, layout, split, number, report, bar)
    check_unrecorded(layout, splits, report)
    return report


def _check_summaries(layout: OutputLayout, splits: list[Split], report: VerifyReport) -> bool:
    """Report every split summary missing a key or holding one of the wrong type, and check
    it no further (its split counts as unfinished); whether all were sound (the folder index
    and cards are made from them, so they are checked only then)."""
    sound = True
    for split in splits:
        path = layout.split_summary(split.config, split.name)
        if split.summary is None:
            sound = sound and not path.exists()   # unreadable JSON: reported already
            continue
        problems = summary_problems(split.summary, split)
        if problems:
            for problem in problems:
                report.add(f"{layout.relative(path)}: {problem} (a damaged split summary); "
                           "re-run the build of the split")
            split.summary, sound = None, False
    return sound


def _guarded(report: VerifyReport, where: str, check, *args) -> None:
    """Run one check; a record of the wrong shape (damaged JSON) becomes a problem line."""
    try:
        check(*args)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        report.problems.append(f"{where}: malformed record, cannot be checked "
                               f"({type(exc).__name__}: {exc})")


def _open_layout(root: str | Path, shown: str | None = None) -> OutputLayout:
    """The layout of the folder ``root`` (named ``shown`` in errors: its URL), if it is an
    output folder."""
    layout, shown = OutputLayout(root), shown or root
    if not layout.root.is_dir():
        raise BuildError(f"{shown}: does not exist or is not a folder; give the folder "
                         "you passed to `mattehub build --out`")
    if not layout.stats_root().is_dir():
        raise BuildError(f"{shown}: not a mattehub output folder (it has no _stats/ "
                         "folder); give the folder you passed to `mattehub build --out`")
    return layout
