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
* **mattes**: where a sample has ``alpha`` and ``instance_alphas``,
  ``|alpha - min(255, sum(instance_alphas))| <= n`` at every pixel for n instances. The
  stored mattes are quantised separately (i-him) so the sum may be off by up to one level
  per instance; measured on 1500 i-him samples the largest difference was 1 level (with 3
  or 4 instances), 0 with 1 or 2; release configs store ``alpha`` as exactly that sum.

Shards are read one at a time (Parquet: one row group at a time), and damaged files become
problem lines naming the shard file (and row, key and field), never a traceback. Rows are
numbered from 0 within their shard file.

The package splits the work: ``records`` checks the stats records, ``files`` one shard's
files and keys, ``reading`` reads shard files row by row, ``samples`` checks each sample, and
``report`` collects the problem lines.
"""
from __future__ import annotations

from pathlib import Path

from tqdm.auto import tqdm

from mattehub.core.errors import BuildError
from mattehub.output.layout import STATS_DIR, OutputLayout
from mattehub.verify.files import check_shard
from mattehub.verify.records import check_records, check_unrecorded, find_splits, shard_files
from mattehub.verify.report import VerifyReport

__all__ = ["VerifyReport", "verify_folder"]


def verify_folder(root: str | Path, progress: bool = True) -> VerifyReport:
    """Check every shard of every format in the output folder ``root`` against its stats."""
    layout = _open_layout(root)
    report = VerifyReport(layout.root)
    splits = find_splits(layout, report)
    if not splits and report.ok:
        report.problems.append(f"{STATS_DIR}/: holds no split summary or shard stats (nothing to verify)")
    for split in splits:
        where = layout.relative(layout.split_summary(split.config, split.name))
        _guarded(report, where, check_records, layout, split, report)
    jobs = sum(len(shard_files(stats)) for split in splits for stats in split.stats.values())
    with tqdm(total=jobs, unit="shard", desc="verify", disable=not progress) as bar:
        for split in splits:
            report.checked["split"] += 1
            for number in sorted(split.stats):
                where = layout.relative(layout.shard_stats(split.config, split.name, number))
                _guarded(report, where, check_shard, layout, split, number, report, bar)
    check_unrecorded(layout, splits, report)
    return report


def _guarded(report: VerifyReport, where: str, check, *args) -> None:
    """Run one check; a record of the wrong shape (damaged JSON) becomes a problem line."""
    try:
        check(*args)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        report.problems.append(f"{where}: malformed record, cannot be checked "
                               f"({type(exc).__name__}: {exc})")


def _open_layout(root: str | Path) -> OutputLayout:
    layout = OutputLayout(root)
    if not layout.root.is_dir():
        raise BuildError(f"{layout.root}: does not exist or is not a folder; give the folder "
                         "you passed to `mattehub build --out`")
    if not layout.stats_root().is_dir():
        raise BuildError(f"{layout.root}: not a mattehub output folder (it has no _stats/ "
                         "folder); give the folder you passed to `mattehub build --out`")
    return layout
