"""``mattehub demo``: every config built from small sources generated on the spot.

The sources go to ``OUT/_sources`` (the real layouts, so the same commands work on real
data), the shards to ``OUT``. It takes seconds and needs no download. Each family declares
its part in its own ``standin.py`` (``demo(sources_root, out)``, see
``mattehub.families.demo``); this module runs those declarations in one loop. A re-run
resumes: per config and split it prints how many shards it kept and how many it (re)wrote.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from mattehub.analysis.statistics import compute_statistics, write_statistics
from mattehub.build.run import BuildOptions, BuildReport, build
from mattehub.build.sequence import ShardLimits
from mattehub.cli.build import done_line
from mattehub.export import export_config
from mattehub.families.demo import DemoBuild
from mattehub.families.registry import families
from mattehub.output.layout import PREVIEW_DIR, OutputLayout


def demo_families() -> list[ModuleType]:
    """Each family's stand-in module (``mattehub/families/<family>/standin.py``), in the
    registry's order: a family with a registry line is in the demo, with no list to edit."""
    return [importlib.import_module(f"mattehub.families.{family}.standin") for family in families()]


def _build(job: DemoBuild, out: Path, workers: int, progress: bool) -> BuildReport:
    """One build of the demo, into ``out``."""
    options = BuildOptions(out=out, num_samples=job.num_samples, split=job.split,
                           workers=workers if job.parallel else 1, progress=progress,
                           limits=ShardLimits(max_samples=job.shard_samples))
    return build(job.recipe, options)


def run_demo(out: Path, workers: int = 1, progress: bool = True) -> None:
    """Build the demo of every config into ``out`` and print how to load it."""
    out = Path(out)
    reports, load_lines = [], []
    for family in demo_families():
        demo = family.demo(OutputLayout(out).sources_dir(), out)
        reports += [_build(job, out, workers, progress) for job in demo.builds]
        for config in demo.statistics:
            write_statistics(out, compute_statistics(out, config, progress=progress))
        for config, folder in demo.exports:
            export_config(out, folder, config, overwrite=True, progress=progress)
        wds = repr(str(OutputLayout(out).card_root("webdataset")))
        load_lines += [line.replace("{wds}", wds) for line in demo.load_lines]
    for report in reports:
        print(done_line(report))
    print(f"\nDemo written to {out.resolve()} (preview sheets in {out / PREVIEW_DIR}). Load it with:")
    for line in ["from datasets import load_dataset"] + load_lines:
        print("  " + line)
