"""The ``mattehub`` builder: ``load_dataset("mattehub", CONFIG, ...)`` after ``import mattehub``.

Three sources, one builder:

* a **mattehub output folder** (any config): when ``data_dir`` holds ``_stats/index.json``,
  its complete Parquet shards are streamed one row group at a time;
* a **release** (configs ``i-him50k``, ``him2k``, ``m-him2k``, ``v-him2k5``, ``v-him60``): the
  published MaGGIe HIM zips read in place (split zips re-joined virtually, no extraction),
  an extracted copy, or an own-layout folder. ``data_dir`` defaults to the Hub release
  ``hf://datasets/chuonghm/MaGGIe-HIM``;
* **sources made on the fly** (every other config: ``i-him``, ``v-him``, ``surreal-alpha``,
  ``overlay-depth``, ``aim``, ``duts``...): ``data_dir`` is the source tree (i-him: the HHM
  folder) and nothing is written.

Keyword arguments are the declared options by keyword name (``bg_root=``, ``num_bgs=``,
``mask_set=``, ``clip_length=``, ``scales=(1.0, 0.5)``, ``with_fields=["trimap"]``,
``seed=``, ``num_samples=``), typed values checked by the options classes
(``mattehub.options``), as ``mattehub build`` checks its flags. Sample ``i`` is
``recipe.make(i)`` of the recipe a build makes, so rows equal a build's. Made splits are cut
into many generator shards (id ranges), so DataLoader workers and ``split_dataset_by_node``
ranks divide them exactly.
"""
from __future__ import annotations

import inspect
from pathlib import Path
from dataclasses import dataclass, field, fields, make_dataclass
from typing import Any

import datasets
import pyarrow as pa
from datasets.builder import Key
from datasets.data_files import DataFilesDict
from datasets.fingerprint import Hasher

from mattehub.families.registry import CONFIG_NAMES, recipe_class
from mattehub.families.configs import every_option, refuse_unknown, run_options
from mattehub.options.declare import OptionError
from mattehub.core.errors import BuildError, SourceError
from mattehub.output.folder import ShardFolder
from mattehub.streaming.resume import MadeTables
from mattehub.streaming.plan import config_splits, shard_parts, shard_ranges, source_recipe
from mattehub.formats.base import Unreadable
from mattehub.formats.parquet import ParquetShardReader, to_row
from mattehub._version import __version__
from mattehub.recipes.base import fingerprint

ROWS_PER_TABLE = 8
logger = datasets.logging.get_logger(__name__)

KNOBS = sorted((set(every_option()) - {"data_dir"}) | set(run_options()))
"""Config keyword arguments, generated from the declarations: every config option by keyword
name (``bg_root`` is ``--bg-root``), plus the run options ``with_fields=["trimap"]``,
``trimap_kind``, ``seed`` and ``num_samples`` (at most this many ids, 0..N-1). None means
not given (the config's default)."""

_NOT_OPTIONS = ({name for name in inspect.signature(datasets.DatasetBuilder.__init__).parameters}
                | {item.name for item in fields(datasets.BuilderConfig)})
"""Keyword arguments ``datasets`` itself takes (``cache_dir``, ``data_dir``, ``version``...)."""

BuildKnobs = make_dataclass("BuildKnobs", [(name, Any, field(default=None)) for name in KNOBS])


@dataclass
class MattehubConfig(datasets.BuilderConfig, BuildKnobs):
    """One mattehub config; ``name`` is the config (``v-him2k5``), ``data_dir`` where to read
    (a shard folder, a release, or the config's sources), the rest ``mattehub build`` options."""


class Mattehub(datasets.ArrowBasedBuilder):
    """Streams mattehub configs from shard folders, releases, or sources made on the fly."""

    BUILDER_CONFIG_CLASS = MattehubConfig
    # data_files must not be None: datasets refuses a packaged builder whose first config has none.
    BUILDER_CONFIGS = [MattehubConfig(name=name, data_files=DataFilesDict()) for name in CONFIG_NAMES]

    def __init__(self, *args: Any, config_name: str | None = None, **kwargs: Any) -> None:
        """Refuse a keyword that is no option (``sclaes=``) with mattehub's message before
        ``datasets`` sees it (it would raise about ``MattehubConfig``'s fields)."""
        if config_name in CONFIG_NAMES:
            refuse_unknown(config_name, [key for key in kwargs if key not in _NOT_OPTIONS])
        super().__init__(*args, config_name=config_name, **kwargs)

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(description=f"mattehub config {self.config.name}")

    def download_and_prepare(self, *args: Any, **kwargs: Any) -> None:
        """Non-streaming loads cache the rows under ``datasets``' cache dir, keyed by config
        and keyword arguments only; a rebuilt folder or changed sources would keep serving the
        old rows. So the builder's ``hash`` (the last part of that dir) also covers what the
        rows are made from (``data_fingerprint``), fixed here, before ``datasets`` looks at
        the cache (streaming never caches, so never pays for it)."""
        self._key_cache_to_data()
        super().download_and_prepare(*args, **kwargs)

    def _key_cache_to_data(self) -> None:
        self._module_hash = getattr(self, "_module_hash", self.hash)
        self.hash = Hasher.hash([self._module_hash, self.data_fingerprint()])
        cache_dir = self._build_cache_dir()
        if cache_dir != self._cache_dir:
            # the info __init__ restored came from the old key's dir: start from a fresh one
            stale, self._cache_dir, self.info = self.info, cache_dir, self._info()
            for name in ("builder_name", "dataset_name", "config_name", "version"):
                setattr(self.info, name, getattr(stale, name))

    def data_fingerprint(self) -> str:
        """A hash of what the rows are made from: the split summaries (shard sha256s) of a
        shard folder, or the recipes' options, seed, sample count and source fingerprint."""
        folder = self.shard_folder()
        if folder is not None:
            return fingerprint(self.config.name, folder.summaries())
        return _made_fingerprint(self._made_recipes(), self.config.num_samples)

    def default_split(self) -> str:
        """The split ``mattehub.stream`` reads when none is named: a shard folder's only
        split, else the config's default split (``composition-1k``: ``test``) when there is
        one to read; several splits without the default are an OptionError listing them."""
        folder = self.shard_folder()
        if folder is not None:
            splits, where = folder.splits(), folder.root
        else:
            splits, where = list(self._made_recipes()), self.config.data_dir or "its default sources"
        default = recipe_class(self.config.name).default_split()
        if len(splits) == 1:
            return splits[0]
        if default in splits or not splits:
            return default
        raise OptionError(f"{self.config.name} in {where} has the splits {', '.join(splits)} "
                          f"and no {default!r}; pass split= one of them")

    def shard_folder(self) -> ShardFolder | None:
        """``data_dir`` as a folder written by ``mattehub build``, or None (sources). Options
        for making the config are refused with a folder: its rows are already made."""
        data_dir = self.config.data_dir
        if not (data_dir and ShardFolder.holds_index(data_dir)):
            return None
        given = sorted(name for name, value in self._knobs().items() if value is not None)
        if given:
            raise ValueError(f"{', '.join(given)}: options for making {self.config.name} "
                             f"from its sources, but {data_dir} holds built shards; load it "
                             "without them")
        return ShardFolder(data_dir, self.config.name)

    def made_recipe(self, split: str):
        """The prepared recipe of ``split`` made on the fly (``mattehub.open`` reads its rows
        by id): the one the stream's generator shards call ``make`` on."""
        recipes = self._made_recipes()
        if split not in recipes:
            raise ValueError(f"{self.config.name} has no split {split!r} in "
                             f"{self.config.data_dir or 'its default sources'} (it has "
                             f"{', '.join(recipes)})")
        return recipes[split]

    def _knobs(self) -> dict[str, Any]:
        return {name: getattr(self.config, name) for name in KNOBS}

    def _split_generators(self, dl_manager):
        folder = self.shard_folder()
        if folder is not None:
            return self._shard_splits(dl_manager, folder)
        generators = []
        for split, recipe in self._made_recipes().items():
            self.info.features = recipe.schema().parquet_features()
            parts = shard_ranges(recipe.sample_count(self.config.num_samples), recipe.stream_shard_min)
            generators.append(datasets.SplitGenerator(
                name=split, gen_kwargs={"parts": parts, "split": split, "source": "made"}))
        return generators

    def _made_recipes(self) -> dict[str, Any]:
        """One prepared recipe per split, made as ``mattehub build`` would (cached: workers
        receive them pickled with the builder)."""
        if getattr(self, "_recipes", None) is None:
            splits, probe = config_splits(self.config.name, self.config.data_dir, self._recipe)
            self._recipes = {split: self._prepared(split, probe) for split in splits}
        return self._recipes

    def _recipe(self, split: str):
        try:
            return source_recipe(self.config.name, self.config.data_dir, split, self._knobs())
        except OptionError:
            raise  # a bad value: the same message as the CLI's and the options class's
        except BuildError as exc:
            if not self.config.data_dir:
                raise BuildError(f"{exc}; or pass data_dir= a folder written by `mattehub build`") from None
            not_built = ShardFolder(self.config.data_dir, self.config.name).not_built()
            raise BuildError(f"{exc} ({not_built.path}: {not_built.problem}, so "
                             f"{self.config.name} is made from its sources; to stream a build "
                             f"instead, {not_built.fix})") from None

    def _prepared(self, split: str, probe):
        recipe = self._recipe(split)
        if probe is not None:
            recipe.share_scan(probe)
        recipe.prepare()
        return recipe

    def _shard_splits(self, dl_manager, folder: ShardFolder):
        generators = []
        for split in folder.splits():
            summary = folder.summary(split)
            self.info.features = datasets.Features.from_dict(summary["features"]["parquet"])
            urls = folder.parquet_urls(summary)
            try:
                files = dl_manager.download(urls)
            except FileNotFoundError:
                missing = folder.first_missing(urls)
                if missing is None:
                    raise
                raise folder.missing_shard(split, missing) from None
            generators.append(datasets.SplitGenerator(
                name=split, gen_kwargs={"parts": shard_parts(files), "split": split, "source": "shards"}))
        return generators

    def _get_examples_iterable_for_split(self, split_generator: datasets.SplitGenerator):
        """A made split's rows come from ``MadeTables``, which resumes by sample id without
        re-making the rows before (``mattehub.streaming.resume``); a shard folder's from
        ``datasets``' own iterable."""
        if split_generator.gen_kwargs["source"] == "made":
            return MadeTables(self._made_row_tables, split_generator.gen_kwargs)
        return super()._get_examples_iterable_for_split(split_generator)

    def _generate_tables(self, parts, split, source):
        """``parts`` is what ``datasets`` shards across workers and nodes: runs of row groups
        of a shard folder's Parquet files (``mattehub.streaming.plan.shard_parts``), or id ranges (``mattehub.streaming.plan.shard_ranges``) of a made split."""
        if source == "shards":
            yield from self._shard_tables(parts, split)
        else:
            yield from self._made_tables(parts, split)

    def _shard_tables(self, parts: list[tuple[str, int, int]], split: str):
        for part_index, (file, index, count) in enumerate(parts):
            try:
                handle = open(file, "rb")
            except FileNotFoundError:
                raise ShardFolder(self.config.data_dir, self.config.name).missing_shard(split, file) from None
            with handle:
                yield from self._row_groups(part_index, file, handle, (index, count))

    @staticmethod
    def _row_groups(part_index: int, file: str, handle, part: tuple[int, int]):
        """The part's row groups; a damaged shard is a SourceError naming it (and the
        row group), not a pyarrow traceback."""
        try:
            for group, table in ParquetShardReader(handle).tables(part=part):
                yield Key(part_index, group), table
        except Unreadable as exc:
            raise damaged_shard(file, exc) from None

    def _made_tables(self, parts: list[tuple[int, int]], split: str):
        """Rows ``recipe.make(start..stop-1)`` of each id range, in tables of ROWS_PER_TABLE:
        exactly the rows a build writes (``datasets``' non-streaming load writes these)."""
        arrow_schema = self._made_recipes()[split].schema().parquet_features().arrow_schema
        rows, batch, run = [], 0, None
        for start, _, row in self._made_rows(parts, split):
            if rows and start != run:
                yield Key(run, batch), pa.Table.from_pylist(rows, schema=arrow_schema)
                rows, batch = [], 0
            rows.append(row)
            run = start
            if len(rows) == ROWS_PER_TABLE:
                yield Key(start, batch), pa.Table.from_pylist(rows, schema=arrow_schema)
                rows, batch = [], batch + 1
        if rows:
            yield Key(run, batch), pa.Table.from_pylist(rows, schema=arrow_schema)

    def _made_row_tables(self, parts: list[tuple[int, int]], split: str, source: str,
                         first_id: int | None = None):
        """The same rows as one-row tables keyed ``Key(run start, sample id)``, none below
        ``first_id``: what a stream of a made split reads (``resume.MadeTables``)."""
        arrow_schema = self._made_recipes()[split].schema().parquet_features().arrow_schema
        for start, index, row in self._made_rows(parts, split, first_id):
            yield Key(start, index), pa.Table.from_pylist([row], schema=arrow_schema)

    def _made_rows(self, parts: list[tuple[int, int]], split: str, first_id: int | None = None):
        """(run start, id, row) of each sample ``recipe.make`` makes, ids ``first_id`` on; a
        sample the recipe skips is logged (a build counts it)."""
        recipe = self._made_recipes()[split]
        kinds = {spec.name: spec.kind for spec in recipe.schema().fields}
        for start, stop in _runs(parts):
            for task in recipe.task_ranges(max(start, first_id or 0), stop):
                for outcome in recipe.make_many(task):
                    if outcome.sample is None:
                        logger.warning("%s/%s: sample %d skipped: %s", self.config.name, split,
                                       outcome.index, "; ".join(e["reason"] for e in outcome.events))
                        continue
                    yield start, outcome.index, to_row(outcome.sample, kinds)


def damaged_shard(file: str, exc: Unreadable) -> SourceError:
    """The error for a shard that cannot be read: a SourceError naming it (and the row
    group), not a pyarrow traceback."""
    where = "" if exc.group is None else f" (row group {exc.group})"
    return SourceError(file, f"is not a readable Parquet shard{where}: {exc.cause}",
                       "run `mattehub verify` on the folder, then rebuild the shard "
                       "(re-running the build command redoes damaged shards)")


def _made_fingerprint(recipes: dict[str, Any], num_samples: int | None) -> str:
    """A hash of what made splits are made from: per split, the recipe's options and seed,
    its source fingerprint (what was scanned) and the sample count, plus the mattehub
    version (the code that makes them) and the state of its local source files."""
    return fingerprint(__version__, {split: [recipe.describe(), recipe.source_fingerprint(),
                                             recipe.sample_count(num_samples),
                                             _local_state(recipe.source_roots())]
                                     for split, recipe in sorted(recipes.items())})


def _local_state(roots: list[str]) -> list:
    """(path, size, mtime_ns) of every file under the local source roots. A recipe's source
    fingerprint records names and image sizes (what resuming a build needs), so a file
    rewritten in place with the same size would otherwise leave the cached rows in use.
    Remote roots (URLs) have no cheap equivalent and are left to the source fingerprint."""
    state = []
    for root in map(Path, roots):
        if "://" in str(root) or not root.exists():
            continue
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            stat = path.stat()
            state.append([str(path), stat.st_size, stat.st_mtime_ns])
    return state


def _runs(parts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Consecutive id ranges merged (a reader given every shard reads one run, so a recipe's
    read-ahead crosses shard boundaries; DataLoader workers get strided, unmerged shards)."""
    runs: list[tuple[int, int]] = []
    for start, stop in parts:
        if runs and runs[-1][1] == start:
            runs[-1] = (runs[-1][0], stop)
        else:
            runs.append((start, stop))
    return runs
