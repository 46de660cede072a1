"""Building one split of one config: resume, synthesise in parallel, shard, finalise.

``build(recipe, options)`` is the whole job behind ``mattehub build``: check the output and
the sources, write the build record (its fingerprint names everything that changes the
bytes), then write the shards that are not complete yet by one of two routes that share one
shard loop (``mattehub.build.task.write_range``):

* **local**: the rest of the split in one run, shards cut by the limits, then finalised;
* **planned** (``--index-range``/``--shard-range``, ``--distributor ray``, or an fsspec URL):
  shards fixed in advance (``mattehub.build.plan``), each written by a distributor, the split
  finalised once every shard is complete.

It is resumable: complete shards of an identical earlier run (same fingerprint) are kept,
partial ones are deleted and redone, so an interrupted build re-run gives the same bytes as
an uninterrupted one.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from tqdm.auto import tqdm

from mattehub._version import __version__
from mattehub.build.distributors import DISTRIBUTOR_CHECKS, DISTRIBUTORS
from mattehub.build.distributors.base import DistributorSettings
from mattehub.build.finalize import PREVIEW_SAMPLES, finalize_if_complete, finalize_split
from mattehub.build.plan import PlannedShard, plan, select
from mattehub.build.sequence import ShardLimits
from mattehub.build.task import ShardJob, write_range
from mattehub.contract.sample import EncodedSample, Outcome
from mattehub.core.errors import BuildError
from mattehub.core.jsonio import write_json
from mattehub.core.redact import Redactor
from mattehub.output.checks import create_output_folder, os_error, refuse_output_folder
from mattehub.core.naming import check_name
from mattehub.output.layout import OutputLayout
from mattehub.output.target import OutputTarget, local_path, open_target
from mattehub.recipes.base import Recipe, digest

FORMATS = ("parquet", "webdataset")


@dataclass(frozen=True)
class BuildOptions:
    """Options common to every config (recipe options live in the recipe)."""

    out: str | Path
    """A local folder or an fsspec URL (``s3://bucket/shards``, ``memory://x``)."""
    num_samples: int | None = None
    """None: the recipe's default (1000 for synthesis, the whole split for a release)."""
    split: str = "train"
    workers: int = 1
    formats: tuple[str, ...] = FORMATS
    limits: ShardLimits = field(default_factory=ShardLimits)
    overwrite: bool = False
    progress: bool = True
    distributor: str = "local"
    """Who writes the shards (``mattehub.build.distributors``): ``local`` or ``ray``."""
    ray_address: str | None = None
    index_range: tuple[int, int | None] | None = None
    """Only the shards of ids ``[A, B)`` (``--index-range``; on shard boundaries)."""
    shard_range: tuple[int, int | None] | None = None
    """Only shards ``A..B-1`` (``--shard-range``)."""

    @property
    def planned(self) -> bool:
        """Shards fixed in advance (``mattehub.build.plan``): Ray, or a range of the split."""
        return self.distributor != "local" or self.index_range is not None \
            or self.shard_range is not None

    def __post_init__(self) -> None:
        check_name(self.split, "split")
        for name in ("num_samples", "workers"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise BuildError(f"{name} must be a whole number >= 1, not {value!r}")
        unknown = [fmt for fmt in self.formats if fmt not in FORMATS]
        if unknown or not self.formats:
            raise BuildError(f"formats must be among {', '.join(FORMATS)}, not {self.formats!r}")


@dataclass
class BuildReport:
    """What a build did, for the CLI to print."""

    config: str
    split: str
    samples: int
    skipped: int
    shards: int
    reused_shards: int
    out: str | Path
    missing: list[int] = field(default_factory=list)
    """Planned builds: shards of the split still missing (other ranges), so not finalised."""
    oversized: list[int] = field(default_factory=list)
    """Planned builds: shards above ``--max-bytes-per-shard`` (not cut: their range is fixed)."""


def _record(recipe: Recipe, options: BuildOptions, sources: dict) -> dict:
    """The build record; its fingerprint covers everything that changes a sample's bytes.
    Source locations appear by public name only (the record is published with the shards)."""
    described = recipe.describe()
    what = {"recipe": dict(described, options={k: v for k, v in described["options"].items()
                                               if k not in recipe.path_options}),
            "sources": recipe.source_fingerprint(), "num_samples": options.num_samples,
            "formats": list(options.formats), "limits": asdict(options.limits)}
    fingerprint = digest(what)[:32]
    schema = recipe.schema()
    record = {"config": recipe.name, "family": recipe.family, "fingerprint": fingerprint,
              "seed": recipe.seed, "num_samples": options.num_samples,
              "formats": list(options.formats), "limits": asdict(options.limits),
              "recipe": described, "sources": sources, "mattehub_version": __version__,
              "summary": recipe.summary,
              "fields": [[spec.name, spec.kind, spec.ext] for spec in schema.fields],
              "features": {"parquet": schema.parquet_features().to_dict(),
                           "webdataset": schema.wds_features().to_dict()}}
    return Redactor(recipe.source_roots())(record)


def build(recipe: Recipe, options: BuildOptions) -> BuildReport:
    """Build ``options.split`` of ``recipe``'s config into ``options.out``.

    Nothing is written, not even the ``--out`` folder, before everything that can refuse the
    build has been checked (``_check_before_writing``); an OS error while writing (disk
    full...) becomes a BuildError naming the file, and a re-run resumes from the last
    finished shard.
    """
    target = open_target(options.out)
    options, sources, wanted = _check_before_writing(recipe, options)
    record = _record(recipe, options, sources)
    try:
        _start_record(target, record, options)
        if options.planned or target.remote:
            return _build_planned(recipe, options, target, record, wanted)
        return _build_local(recipe, options, target, record)
    except OSError as exc:
        raise os_error(exc, options.out) from None


def _check_before_writing(recipe: Recipe, options: BuildOptions
                          ) -> tuple[BuildOptions, dict, list[PlannedShard]]:
    """The output folder (a ``file://`` URL's too: a file, inside another output, links out
    of it), the distributor, the sources (a depth model is loaded there), the range; then
    the local folder is created. Returns the options with the sample count, the source
    report and the planned shards this run writes."""
    local = local_path(options.out)
    if local is not None:
        refuse_output_folder(local, recipe.name)
    DISTRIBUTOR_CHECKS[options.distributor]()
    sources = recipe.prepare()
    options = replace(options, num_samples=recipe.sample_count(options.num_samples))
    wanted = select(plan(options.num_samples, options.limits.max_samples),
                    options.index_range, options.shard_range)
    if local is not None:
        create_output_folder(local)
    return options, sources, wanted


def _start_record(target: OutputTarget, record: dict, options: BuildOptions) -> None:
    """Refuse (or, with --overwrite, clear) an earlier build of the split with other options;
    then write this build's record."""
    with target.staged() as layout:
        rel = layout.relative(layout.build_record(record["config"], options.split))
        previous = target.read_json(rel)
        if previous and previous.get("fingerprint") != record["fingerprint"]:
            if not options.overwrite:
                raise BuildError(f"{target.out}/{rel} records a build of {record['config']}/"
                                 f"{options.split} with different options or sources; re-run "
                                 "with --overwrite to replace it, or choose another --out")
            target.remove_split(record["config"], options.split)
        write_json(layout.root / rel, record)
        target.upload(layout, [rel])


def _job(recipe: Recipe, options: BuildOptions, target: OutputTarget, record: dict) -> ShardJob:
    """Where and how this build writes its shards."""
    return ShardJob(target.out, options.split, options.formats, options.limits,
                    {"config": recipe.name, "fingerprint": record["fingerprint"], "seed": recipe.seed})


def _report(recipe: Recipe, options: BuildOptions, stats: list[dict], reused: int,
            missing: list[int] | None = None, oversized: list[int] | None = None) -> BuildReport:
    """The report of a build whose shards (written or kept) have ``stats``."""
    return BuildReport(recipe.name, options.split, sum(s["samples"] for s in stats),
                       sum(len(s["skipped_samples"]) for s in stats), len(stats), reused,
                       options.out, missing or [], oversized or [])


def _build_local(recipe: Recipe, options: BuildOptions, target: OutputTarget,
                 record: dict) -> BuildReport:
    """Keep the verified finished shards, write the rest of the split in one run (shards cut
    by the limits), then finalise it."""
    done = target.completed_prefix(recipe.name, options.split, record["fingerprint"], options.formats)
    target.remove_shards(recipe.name, options.split, len(done))
    layout = OutputLayout(options.out)
    written, preview = _write_rest(recipe, options, _job(recipe, options, target, record),
                                   layout, done)
    finalize_split(layout, record, options.split, done + written, preview if not done else None)
    return _report(recipe, options, done + written, len(done))


def _write_rest(recipe: Recipe, options: BuildOptions, job: ShardJob, layout: OutputLayout,
                done: list[dict]) -> tuple[list[dict], list[EncodedSample]]:
    """The split's ids after the ``done`` shards, written with a progress bar; returns the new
    shards' stats and the first samples (for the preview)."""
    start = done[-1]["end_index"] if done else 0
    preview: list[EncodedSample] = []
    with tqdm(total=options.num_samples, initial=start, unit="sample",
              disable=not options.progress, desc=f"{recipe.name}/{options.split}") as bar:
        def seen(outcome: Outcome, shards: int) -> None:
            if outcome.sample is not None and len(preview) < PREVIEW_SAMPLES:
                preview.append(outcome.sample)
            bar.update(1)
            bar.set_postfix(shards=shards)

        written = write_range(recipe, job, layout, start, options.num_samples, len(done),
                              options.workers, seen)
    return written, preview


def _build_planned(recipe: Recipe, options: BuildOptions, target: OutputTarget,
                   record: dict, wanted: list[PlannedShard]) -> BuildReport:
    """Write the ``wanted`` planned shards (this run's range) that are not complete yet, with
    the chosen distributor; finalise the split when every shard of it is complete."""
    kept = {s.number: target.complete_stats(recipe.name, options.split, s.number,
                                            record["fingerprint"], options.formats) for s in wanted}
    todo = [s for s in wanted if kept[s.number] is None]
    settings = DistributorSettings(workers=options.workers, address=options.ray_address,
                                   progress=options.progress)
    result = DISTRIBUTORS[options.distributor](recipe, _job(recipe, options, target, record),
                                               todo, settings)
    known = {n: stats for n, stats in kept.items() if stats} | {s["shard"]: s for s in result.written}
    outcome = finalize_if_complete(target, record, options.split, known)
    if result.failed:
        listing = "; ".join(f"shard {n}: {why}" for n, why in sorted(result.failed.items()))
        raise BuildError(f"{recipe.name}/{options.split}: {len(result.failed)} of {len(todo)} "
                         f"shards failed ({listing}); re-run the same command to retry them")
    stats = [s for s in outcome.stats if s["shard"] in {w.number for w in wanted}]
    return _report(recipe, options, stats, len(wanted) - len(todo), outcome.missing,
                   outcome.oversized)
