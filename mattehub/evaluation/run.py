"""``mattehub evaluate``: stream a split's ground truth, pair each sample with its
prediction files, score it under the chosen protocol (in ``--workers`` processes), and
reduce the records to the protocol's table.

Ground truth is read with ``mattehub.stream(config, data_dir, split)`` (a folder written by
``mattehub build``, a release, or sources made on the fly), only the fields evaluation
needs. Scoring a sample is a pure function of the sample and its files, so the records are
the same whatever the worker count; the protocol's per-run decisions (MaGGIe's seeded
instance cap) are made in order in this process first.
"""
from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from tqdm.auto import tqdm

from mattehub.core.errors import BuildError
from mattehub.core.lean import lean_worker
from mattehub.evaluation.cases import Case, make_case, sample_kind
from mattehub.evaluation.options import EvaluationOptions
from mattehub.evaluation.predictions import PredictionFolder
from mattehub.evaluation.protocols import protocol
from mattehub.evaluation.scoring import score_case
from mattehub.evaluation.report import EvaluationReport
from mattehub.streaming.loading import stream

NEEDED_FIELDS = ("__key__", "alpha", "trimap", "instance_alphas", "instance_masks", "meta")
"""The only fields read: images, frames and foregrounds are never decoded."""
IN_FLIGHT = 2
"""Samples queued per worker: enough to keep each busy, few enough to bound memory."""


def ground_truth(options: EvaluationOptions) -> Iterator[dict]:
    """The split's samples with only the fields evaluation reads; a config, split or folder
    ``datasets`` cannot serve is a BuildError saying so."""
    try:
        dataset = stream(options.config, options.data_dir, options.split, **dict(options.source_options))
        if dataset.column_names:
            dataset = dataset.select_columns([c for c in NEEDED_FIELDS if c in dataset.column_names])
        iterator = iter(dataset)
        first = next(iterator, None)
    except ValueError as exc:
        raise BuildError(f"cannot read {options.config}/{options.split} from {options.data_dir}: "
                         f"{exc}") from None
    if first is None:
        raise BuildError(f"{options.config}/{options.split} in {options.data_dir} has no samples")
    yield first
    yield from iterator


def _scored(cases: Iterator[Case], options: EvaluationOptions) -> Iterator[tuple[dict, list[str], int]]:
    """``score_case`` of every case, in order, in this process or in ``options.workers``
    spawned ones (a fork would copy the streaming threads' locks)."""
    if options.workers == 1:
        yield from (score_case(options, case) for case in cases)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(options.workers, mp_context=context, initializer=lean_worker) as pool:
        pending: deque = deque()
        try:
            for case in cases:
                pending.append(pool.submit(score_case, options, case))
                if len(pending) >= IN_FLIGHT * options.workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except BrokenProcessPool:
            raise BuildError("an evaluation worker process died (out of memory?); run again "
                             "with fewer --workers") from None


def evaluate(options: EvaluationOptions) -> EvaluationReport:
    """Score every sample of ``options.split`` against ``options.pred_dir``."""
    options = options.checked()
    PredictionFolder(options.pred_dir).check()
    chosen = protocol(options.protocol)
    kinds: list[str] = []

    def cases() -> Iterator[Case]:
        for sample in ground_truth(options):
            kinds.append(kinds[0] if kinds else sample_kind(sample, options.config))
            yield make_case(sample, kinds[0])

    samples, missing, found = [], [], 0
    bar = tqdm(_scored(chosen.prepare(cases()), options), unit="sample", disable=not options.progress,
               desc=f"evaluate {options.config}/{options.split} ({options.protocol})")
    for record, lost, read in bar:
        samples.append(record)
        missing += lost
        found += read
    kind = kinds[0]
    if found == 0:
        raise BuildError(f"{options.pred_dir}: no prediction found for any of the {len(samples)} "
                         f"samples of {options.config}/{options.split}; expected "
                         f"{_layout_example(kind, samples[0]['key'])} (see docs/evaluation.md)")
    return EvaluationReport(options, chosen, kind, samples, missing, found,
                            chosen.summarise(kind, samples))


def _layout_example(kind: str, key: str) -> str:
    """The first prediction file the layout expects, for error messages."""
    return {"alpha": f"{key}.png", "instances": f"{key}/0.png", "clip": f"{key}/0/0.png"}[kind]
