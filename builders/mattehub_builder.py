"""The ``mattehub`` builder: ``load_dataset("mattehub", CONFIG, ...)`` after ``import mattehub``.

Two sources, one builder:

* a **release** (configs ``i-him50k``, ``him2k``, ``m-him2k``, ``v-him2k5``, ``v-him60``): the
  published MaGGIe HIM zips read in place (split zips re-joined virtually, no extraction),
  an extracted copy, or an own-layout folder. ``data_dir`` defaults to the Hub release
  ``hf://datasets/chuonghm/MaGGIe-HIM``; options (``mask_set``, ``clip_length``...) are
  config keyword arguments of ``load_dataset``;
* **sources composited on the fly** (configs whose recipe ``streams_from_sources``, e.g.
  ``surreal-alpha``): ``data_dir`` is the source tree and the recipe's options are config
  keyword arguments named like the CLI options (``bg_root``, ``num_bgs``...), checked by
  the CLI's own types; sample ``i`` is ``recipe.make(i)``, so the rows equal a build's;
* a **mattehub output folder** (any config, including ``i-him``): when ``data_dir`` holds
  ``_stats/index.json``, its complete Parquet shards are streamed one row group at a time.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
from datasets.builder import Key
from datasets.data_files import DataFilesDict

from mattehub.configs import CONFIG_NAMES, RECIPES
from mattehub.errors import SourceError
from mattehub.recipes.release import ReleaseKnobs, ReleaseOptions, ReleaseRecipe
from mattehub.releases.specs import HUB_RELEASE
from mattehub.shard_folder import ShardFolder
from mattehub.writers.parquet import to_row

ROWS_PER_TABLE = 8
logger = datasets.logging.get_logger(__name__)


@dataclass
class SourceKnobs:
    """Options of configs made on the fly from their sources, named like the CLI options
    (``num_bgs`` is ``--num-bgs``); None means the CLI default."""

    bg_root: str | None = None
    num_bgs: int | None = None
    frame_stride: int | None = None
    layout: str | None = None
    bg_size: int | None = None
    image_format: str | None = None
    jpeg_quality: int | None = None
    fg_reestimate: str | None = None
    """aim: ``none``, ``lsa`` or ``ml`` (``--fg-reestimate``)."""
    seed: int | None = None
    num_samples: int | None = None
    """At most this many samples (ids 0..N-1); default: all the sources give."""


@dataclass
class MattehubConfig(datasets.BuilderConfig, ReleaseKnobs, SourceKnobs):
    """One mattehub config; ``name`` is the config (``v-him2k5``), ``data_dir`` where to read.

    Release options (``ReleaseKnobs``): ``mask_set`` (m-him2k guidance masks),
    ``clip_length``/``clip_stride`` (video windows), ``invalid_names`` (i-him50k),
    ``alpha_dir``/``mask_dir`` (own layouts). Source options (``SourceKnobs``): see there.
    """


class Mattehub(datasets.ArrowBasedBuilder):
    """Streams mattehub configs from the original releases or from shard folders."""

    BUILDER_CONFIG_CLASS = MattehubConfig
    # data_files must not be None: datasets refuses a packaged builder whose first config has none.
    BUILDER_CONFIGS = [MattehubConfig(name=name, data_files=DataFilesDict()) for name in CONFIG_NAMES]

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(description=f"mattehub config {self.config.name}")

    def _split_generators(self, dl_manager):
        recipe_cls = RECIPES[self.config.name]
        data_dir = self.config.data_dir
        if recipe_cls.streams_from_sources and data_dir and not ShardFolder.holds_index(data_dir):
            return self._source_splits(recipe_cls, data_dir)
        if not issubclass(recipe_cls, ReleaseRecipe):
            if not data_dir:
                raise ValueError(f"load_dataset('mattehub', '{self.config.name}') needs "
                                 "data_dir=: a folder written by `mattehub build` (local, hf:// "
                                 "or http(s)://)")
            return self._shard_splits(dl_manager, data_dir)  # ShardFolder says what is missing
        if data_dir and ShardFolder.holds_index(data_dir):
            return self._shard_splits(dl_manager, data_dir)
        recipe = recipe_cls(self._release_options(data_dir or HUB_RELEASE, "train"), seed=0)
        recipe.scan()
        self.info.features = recipe.schema().parquet_features()
        return [datasets.SplitGenerator(name=split, gen_kwargs={"files": None, "split": split})
                for split in recipe.splits()]

    def _source_splits(self, recipe_cls, data_dir: str):
        """One split per source split (e.g. SURREAL's cmu/train, cmu/val); options are
        checked here, so a missing ``bg_root`` fails at ``load_dataset``, not mid-stream."""
        generators, self._source_recipes = [], {}
        for split in recipe_cls.source_splits(data_dir):
            recipe = self._source_recipes[split] = self._source_recipe(split)
            self.info.features = recipe.schema().parquet_features()
            generators.append(datasets.SplitGenerator(name=split, gen_kwargs={"files": None,
                                                                              "split": split}))
        return generators

    def _source_recipe(self, split: str):
        """The recipe the CLI would make from ``mattehub build CONFIG --data-dir D --split S``
        plus this config's source knobs."""
        from mattehub.cli import build_namespace

        given = [f.name for f in fields(ReleaseKnobs) if getattr(self.config, f.name) != f.default]
        if given:
            raise ValueError(f"{', '.join(given)} only apply to release configs, not "
                             f"{self.config.name}")
        values: dict[str, Any] = {f.name: getattr(self.config, f.name) for f in fields(SourceKnobs)}
        values = {k: v for k, v in values.items() if v is not None and k not in ("seed", "num_samples")}
        args = build_namespace(self.config.name, dict(values, data_dir=self.config.data_dir, split=split))
        recipe_cls = RECIPES[self.config.name]
        return recipe_cls(recipe_cls.options_from_args(args), seed=self.config.seed or 0)

    def _release_options(self, data_dir: str, split: str) -> ReleaseOptions:
        knobs = {f.name: getattr(self.config, f.name) for f in fields(ReleaseKnobs)}
        return ReleaseOptions(data_dir=str(data_dir), split=split, **knobs)

    def _shard_splits(self, dl_manager, data_dir: str):
        folder = ShardFolder(data_dir, self.config.name)
        generators = []
        for split in folder.splits():
            summary = folder.summary(split)
            self.info.features = datasets.Features.from_dict(summary["features"]["parquet"])
            files = dl_manager.download(folder.parquet_urls(summary))
            generators.append(datasets.SplitGenerator(name=split, gen_kwargs={"files": files,
                                                                              "split": split}))
        return generators

    def _generate_tables(self, files, split):
        if files is not None:
            yield from self._shard_tables(files)
        else:
            yield from self._made_tables(split)

    def _shard_tables(self, files):
        for file_index, file in enumerate(files):
            with open(file, "rb") as handle:
                yield from self._row_groups(file_index, file, handle)

    @staticmethod
    def _row_groups(file_index: int, file: str, handle):
        """The shard's row groups; a damaged shard is a SourceError naming it (and the
        row group), not a pyarrow traceback."""
        group = None
        try:
            parquet = pq.ParquetFile(handle)
            for group in range(parquet.num_row_groups):
                yield Key(file_index, group), parquet.read_row_group(group)
        except (pa.ArrowException, OSError) as exc:
            where = "" if group is None else f" (row group {group})"
            raise SourceError(file, f"is not a readable Parquet shard{where}: {exc}",
                              "run `mattehub verify` on the folder, then rebuild the shard "
                              "(re-running the build command redoes damaged shards)") from None

    def _made_tables(self, split: str):
        """Rows made by the recipe (a release read in place, or sources composited on the fly)."""
        recipe_cls = RECIPES[self.config.name]
        if recipe_cls.streams_from_sources:  # the recipe whose schema was declared, if any
            recipe = getattr(self, "_source_recipes", {}).get(split) or self._source_recipe(split)
        else:
            recipe = recipe_cls(self._release_options(self.config.data_dir or HUB_RELEASE, split), seed=0)
        recipe.prepare()
        count = recipe.available()
        if self.config.num_samples is not None:
            count = min(count, int(self.config.num_samples))
        yield from self._recipe_tables(recipe, split, count)

    def _recipe_tables(self, recipe, split: str, count: int):
        """Rows ``recipe.make(0..count-1)`` in tables of ROWS_PER_TABLE, exactly the rows a
        build writes; a sample the recipe skips is logged (a build counts it)."""
        schema = recipe.schema()
        kinds = {spec.name: spec.kind for spec in schema.fields}
        arrow_schema = schema.parquet_features().arrow_schema
        rows, batch = [], 0
        for outcome in (o for task in recipe.task_ranges(0, count) for o in recipe.make_many(task)):
            if outcome.sample is None:
                logger.warning("%s/%s: sample %d skipped: %s", self.config.name, split,
                               outcome.index, "; ".join(e["reason"] for e in outcome.events))
            else:
                rows.append(to_row(outcome.sample, kinds))
            if rows and (len(rows) == ROWS_PER_TABLE or outcome.index == count - 1):
                yield Key(0, batch), pa.Table.from_pylist(rows, schema=arrow_schema)
                rows, batch = [], batch + 1
