"""``bench_overlay.py``'s whole-process runs (issue 20): ``mattehub build overlay-depth`` and
the reference, each a fresh interpreter pinned to one CPU and timed from outside, as a
user runs them (``common.whole_process``), and their section of the report."""
from __future__ import annotations

import shutil
from pathlib import Path

from common import md_table, ratio_table, whole_process

CLI = "mattehub.cli.main:main"
REFERENCE = "reference_overlay:run_reference"


def count_samples(out: Path, config: str) -> int:
    """Samples written: Parquet rows under ``out/config``, else ``label_data.csv``'s lines."""
    parquet = sorted((out / config).glob("*.parquet"))
    if parquet:
        import pyarrow.parquet as pq

        return sum(pq.read_metadata(path).num_rows for path in parquet)
    with open(out / "label_data.csv") as handle:
        return sum(1 for _ in handle)


def whole_run(target: str, args: list, out: Path, config: str, code: Path, cpu: int) -> dict:
    """``target(*args)`` (the CLI's ``args``: ``[argv]``) in a fresh interpreter pinned to
    ``cpu``; its samples and MB written (``out`` is removed before and after).
    ``cpu_seconds`` is the whole tree's CPU."""
    shutil.rmtree(out, ignore_errors=True)  # a build would resume from an old output
    result = whole_process(target, [args], code, cpu)
    result.pop("reports")
    result.update(samples=count_samples(out, config), cpu_seconds=result["tree_cpu_seconds"],
                  mb_written=sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6)
    shutil.rmtree(out, ignore_errors=True)
    return result


def reference_args(src: Path, out: Path, depth: str, seed: int) -> list:
    """``run_reference``'s arguments (JSON-able) for the sources in ``src``."""
    return [str(src / "bg"), str(src / "fg"), str(src / "fg_mask"), str(out), depth,
            str(src / "bg_depth") if depth == "exact" else None, seed]


def whole_section(results: dict[str, dict], kinds: dict[str, str], pairs: tuple[tuple[str, str], ...],
                  target: float) -> list[str]:
    """Markdown: the whole-process runs (``kinds``: kind -> what) and their ratios."""
    rows = [(f"({kind})", what, r["samples"],
             f"{r['seconds']:.2f} ({', '.join(f'{s:.2f}' for s in r['all_seconds'])})",
             f"**{r['samples'] / r['seconds']:.0f}**", f"{1000 * r['seconds'] / r['samples']:.3f}",
             f"{1000 * r['cpu_seconds'] / r['samples']:.3f}", f"{r['inside_seconds']:.2f}",
             f"{r['seconds'] - r['inside_seconds']:.2f}", f"{r['mb_written']:.1f}",
             f"{r['peak_rss_mib']:.0f}")
            for kind, what, r in ((k, w, results[k]) for k, w in kinds.items())]
    return [*md_table(("run", "what", "samples:", "seconds, whole process, best (runs):",
                       "samples/s per core:", "ms/sample:", "CPU ms/sample:",
                       "call s (inside):", "start-up + imports s:", "MB written:",
                       "peak RSS MiB:"), rows), "",
            *ratio_table(results, pairs, target)]
