"""Building one split of one config: plan, resume, write the missing shards, finalise.

``build(recipe, options)`` is the whole job behind ``mattehub build``: check the output and
the sources, fix the shards (``mattehub.build.plan``: shard ``n`` holds ids
``[n*S, (n+1)*S)``), write the build record (its fingerprint names everything that changes
the bytes), then have a distributor (``mattehub.build.distributors``: the local pool, or Ray)
write this run's shards that are not complete yet, each with the one shard loop
(``mattehub.build.task.write_shard``). Once every shard of the split is complete (this run's,
or with other ``--index-range`` runs), the split is finalised.

It is resumable: complete shards of an identical earlier run (same fingerprint, files with
the sizes and sha256 their stats record) are kept, the others written again, so an
interrupted build re-run gives the same bytes as an uninterrupted one.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from mattehub._version import __version__
from mattehub.build.distributors import DISTRIBUTOR_CHECKS, DISTRIBUTORS
from mattehub.build.distributors.base import DistributorSettings
from mattehub.build.finalize import finalize_if_complete
from mattehub.build.plan import PlannedShard, plan, samples_per_shard, select
from mattehub.build.sequence import ShardLimits
from mattehub.build.task import ShardJob
from mattehub.contract.features import feature_dict
from mattehub.core.errors import BuildError
from mattehub.core.jsonio import write_json
from mattehub.core.redact import Redactor
from mattehub.output.checks import create_output_folder, os_error, refuse_output_folder
from mattehub.core.naming import check_name
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
    """Shards of the split still missing (other ranges), so not finalised."""
    oversized: list[int] = field(default_factory=list)
    """Shards above ``--max-bytes-per-shard`` (their samples are bigger than the first ones')."""
    samples_per_shard: int = 0
    """Ids per shard (``--max-samples-per-shard``, or what ``--max-bytes-per-shard`` made of it)."""


def _record(recipe: Recipe, options: BuildOptions, sources: dict, per_shard: int) -> dict:
    """The build record; its fingerprint covers everything that changes a sample's bytes
    (``per_shard`` follows from the limits, config, sources and seed). Source locations
    appear by public name only (the record is published with the shards)."""
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
              "samples_per_shard": per_shard, "recipe": described, "sources": sources, "mattehub_version": __version__,
              "summary": recipe.summary,
              "fields": [[spec.name, spec.kind, spec.ext] for spec in schema.fields],
              "features": {"parquet": feature_dict(schema.parquet_columns()),
                           "webdataset": feature_dict(schema.wds_columns())}}
    return Redactor(recipe.source_roots())(record)


def build(recipe: Recipe, options: BuildOptions) -> BuildReport:
    """Build ``options.split`` of ``recipe``'s config into ``options.out``.

    Nothing is written, not even the ``--out`` folder, before everything that can refuse the
    build has been checked (``_check_before_writing``); an OS error while writing (disk
    full...) becomes a BuildError naming the file, and a re-run resumes from the last
    finished shard.
    """
    target = open_target(options.out)
    options, sources, per_shard, wanted = _check_before_writing(recipe, options)
    record = _record(recipe, options, sources, per_shard)
    try:
        _start_record(target, record, options)
        return _write_missing(recipe, options, target, record, wanted)
    except OSError as exc:
        raise os_error(exc, options.out) from None


def _check_before_writing(recipe: Recipe, options: BuildOptions
                          ) -> tuple[BuildOptions, dict, int, list[PlannedShard]]:
    """The output folder (a ``file://`` URL's too: a file, inside another output, links out
    of it), the distributor, the sources (a depth model is loaded there), the shard size,
    the range; then the local folder is created. Returns the options with the sample count,
    the source report, the ids per shard and the planned shards this run writes."""
    local = local_path(options.out)
    if local is not None:
        refuse_output_folder(local, recipe.name)
    DISTRIBUTOR_CHECKS[options.distributor]()
    sources = recipe.prepare()
    options = replace(options, num_samples=recipe.sample_count(options.num_samples))
    per_shard = samples_per_shard(recipe, options.num_samples, options.limits)
    wanted = select(plan(options.num_samples, per_shard), options.index_range, options.shard_range)
    if local is not None:
        create_output_folder(local)
    return options, sources, per_shard, wanted


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


def _report(recipe: Recipe, options: BuildOptions, record: dict, stats: list[dict],
            reused: int, missing: list[int], oversized: list[int]) -> BuildReport:
    """The report of a build whose shards (written or kept) have ``stats``."""
    return BuildReport(recipe.name, options.split, sum(s["samples"] for s in stats),
                       sum(len(s["skipped_samples"]) for s in stats), len(stats), reused,
                       options.out, missing, oversized, record["samples_per_shard"])


def _write_missing(recipe: Recipe, options: BuildOptions, target: OutputTarget,
                   record: dict, wanted: list[PlannedShard]) -> BuildReport:
    """Write the ``wanted`` planned shards (the split, or this run's range) that are not
    complete yet, with the chosen distributor; finalise the split when every shard of it is
    complete. Shards that failed are named in a BuildError (after the others were kept)."""
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
        raise BuildError(f"{recipe.name}/{options.split}: {len(result.failed)} of {len(todo)} "
                         f"shards failed ({_failures(result.failed)}); re-run the same command to "
                         "write them (the complete shards are kept)")
    stats = [s for s in outcome.stats if s["shard"] in {w.number for w in wanted}]
    return _report(recipe, options, record, stats, len(wanted) - len(todo), outcome.missing,
                   outcome.oversized)


def _failures(failed: dict[int, str], shown: int = 8) -> str:
    """``shard 1: why; shards 2, 3: why`` (shards with one reason together, at most ``shown``
    numbers each)."""
    by_reason: dict[str, list[int]] = {}
    for number, why in sorted(failed.items()):
        by_reason.setdefault(why, []).append(number)
    parts = []
    for why, numbers in by_reason.items():
        listed = ", ".join(map(str, numbers[:shown])) + (", ..." if len(numbers) > shown else "")
        parts.append(f"shard{'s' if len(numbers) > 1 else ''} {listed}: {why}")
    return "; ".join(parts)
