"""The recipe interface: everything a build needs to know about one config.

A recipe is spec + scan + make. It is created in the main process from its options and
seed; ``prepare`` scans its sources once (``scan_sources``) into ``sources``, a frozen, picklable
description of what was found (file lists and sizes, never open files or decoded pixels),
and the recipe is then pickled to every worker (spawn-safe: no globals), where
``make(index)`` returns the encoded sample for that index. ``make`` is a pure function of
(options, sources, seed, index): that is what makes builds identical whatever the worker
count, shard size or machine. Recipes may keep per-process caches of decoded data (a clip
shared by consecutive ids), which pickling drops.
"""
from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import asdict
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from mattehub.contract.licence import LicenceTerms
from mattehub.contract.schema import Schema
from mattehub.core.redact import public_name
from mattehub.options.declare import path_fields
from mattehub.contract.sample import Outcome


class Recipe(ABC):
    """Base class of every config mattehub can build."""

    name: ClassVar[str]
    family: ClassVar[str]
    family_fields: ClassVar[tuple[str, ...]]
    """Every field the family's configs may write, declared in the family's folder (next to
    its meta struct); ``schema`` passes it on, so the contract and ``--with trimap`` check a
    config against its family without knowing any family by name."""
    summary: ClassVar[str]
    licence: ClassVar[str] = "other"
    terms: ClassVar[LicenceTerms | None] = None
    """What the config's sources allow (redistribution, commercial use, attribution),
    declared next to each family's recipe; ``mattehub push`` decides from it."""
    stream_shard_min: ClassVar[int] = 1
    """Fewest ids per generator shard of a stream (``mattehub.streaming.plan.shard_ranges``)."""

    def __init__(self, options: Any, seed: int) -> None:
        self.options = options
        self.seed = int(seed)
        self.sources: Any = None
        """The frozen description of the scanned sources (None until ``prepare``)."""
        self.report: dict | None = None
        """What the scan found (counts, skipped inputs), for the build record."""

    def scan_sources(self) -> tuple[Any, dict]:
        """Scan and validate the sources: (the frozen ``sources`` that ``make`` reads, a
        JSON-able report: counts, skipped inputs). Raises SourceError when they are unusable.
        Every config implements it (a recipe that overrides ``prepare`` instead, as test
        doubles do, needs none)."""
        raise NotImplementedError(f"{type(self).__name__} does not scan sources")

    def prepare(self) -> dict:
        """Scan the sources once (a second call, or ``schema`` having scanned already, costs
        nothing); return the report."""
        if self.sources is None:
            self.sources, self.report = self.scan_sources()
        return self.report

    def scanned(self) -> Any:
        """``sources``, scanning first if that has not happened (``schema`` of a config whose
        fields depend on its files)."""
        self.prepare()
        return self.sources

    @abstractmethod
    def schema(self) -> Schema:
        """The fixed field set this config writes."""

    @abstractmethod
    def make(self, index: int) -> Outcome:
        """Synthesise (or read) sample ``index``."""

    @property
    def path_options(self) -> tuple[str, ...]:
        """Option fields naming source locations (declared ``path=True``): recorded by
        public name only, and left out of the fingerprint (moving the sources does not
        change a sample)."""
        return path_fields(type(self.options))

    def source_fingerprint(self) -> str:
        """A hash of the options and of what was scanned (relative paths and sizes), for
        resume checks: ``fingerprint(hashed_options, sources.listing())``."""
        return fingerprint(self.hashed_options(), self.sources.listing())

    def hashed_options(self) -> dict:
        """The options that change samples: all but the source locations (``path_options``)."""
        return {k: v for k, v in asdict(self.options).items() if k not in self.path_options}

    @classmethod
    def default_split(cls) -> str:
        """The split ``mattehub build`` writes when ``--split`` is not given."""
        return "train"

    @classmethod
    def source_splits(cls, data_dir: str | None) -> list[str]:
        """The splits ``load_dataset`` offers when it makes this config from sources in
        ``data_dir`` (default: the one split a build writes without ``--split``)."""
        return [cls.default_split()]

    @classmethod
    def list_splits(cls, data_dir: str | None, make: Callable[[str], Recipe]) -> tuple[list[str], Recipe | None]:
        """The splits this config has in its sources (``load_dataset``, ``mattehub build
        --split all``), and a recipe that listed them, for the other splits' recipes to
        reuse through ``share_scan`` (None: nothing to share). ``make(split)`` makes this
        config's recipe for a split, checking its options. Default: with ``data_dir``, the
        options are checked before the sources are listed (``source_splits``); without, the
        one split a build writes when ``--split`` is not given."""
        if data_dir:
            make(cls.default_split())
            return cls.source_splits(data_dir), None
        return [cls.default_split()], None

    def make_many(self, indices: range) -> list[Outcome]:
        """Samples ``indices`` (one of ``task_ranges``), in order. Recipes that share work
        across samples (a batched model pass) override it; each sample must still come out
        the same whichever range it is asked for in."""
        return [self.make(index) for index in indices]

    def task_ranges(self, start: int, stop: int) -> Iterator[range]:
        """How ids ``start..stop-1`` are handed to workers: consecutive runs that share
        expensive work (a decoded clip) go together. Default: one id per task."""
        for index in range(start, stop):
            yield range(index, index + 1)

    def default_num_samples(self) -> int:
        """How many samples a build makes when ``--num-samples`` is not given: every sample
        that exists (``available``), or 1000 for synthesis, which is unbounded."""
        available = self.available()
        return 1000 if available is None else available

    def available(self) -> int | None:
        """How many samples exist (a release's split), or None when unbounded (synthesis)."""
        return None

    def sample_count(self, requested: int | None) -> int:
        """How many ids (0..N-1) a build or a stream makes: ``requested`` or the default,
        capped by what the sources hold (after ``prepare``)."""
        wanted = self.default_num_samples() if requested is None else int(requested)
        available = self.available()
        return wanted if available is None else min(wanted, available)

    def describe(self) -> dict:
        """Options as recorded in the build record and the dataset card (source locations
        by their public name: never a local absolute path)."""
        options = asdict(self.options)
        for name in self.path_options:
            if options.get(name):
                options[name] = public_name(options[name])
        return {"recipe": self.name, "licence": self.licence, "seed": self.seed,
                "options": options}

    def source_roots(self) -> list[str]:
        """The local source locations given in the options (what a Redactor hides)."""
        return [str(getattr(self.options, name)) for name in self.path_options
                if getattr(self.options, name, None)]


def fingerprint(*parts: Any) -> str:
    """The sha256 of ``parts`` as JSON (keys sorted): every recipe's source fingerprint and
    the build record's, so a resumed build compares like with like."""
    return digest(list(parts))


def digest(value: Any) -> str:
    """The sha256 of ``value`` as JSON (keys sorted; what JSON cannot hold, as text)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()
