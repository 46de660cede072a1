"""Scoring one case: what an evaluation worker process runs.

Kept apart from ``run`` so a spawned worker imports the metrics and the protocols only, not
the streaming stack (``datasets``) that reads the ground truth in the parent.
"""
from __future__ import annotations

from mattehub.evaluation.cases import Case, pair
from mattehub.evaluation.options import EvaluationOptions
from mattehub.evaluation.predictions import PredictionFolder
from mattehub.evaluation.protocols import protocol


def score_case(options: EvaluationOptions, case: Case) -> tuple[dict, list[str], int]:
    """One sample's record, the predictions it found missing and how many it read."""
    folder = PredictionFolder(options.pred_dir, options.allow_jpeg)
    pairs, extra = pair(case, folder, options.matching)
    record = {"key": case.key, **protocol(options.protocol).score(case, pairs, options.trimap_kind)}
    if case.kind != "alpha":
        record.update(instances_without_mask=case.without_mask, extra_predictions=extra)
    return record, folder.missing, folder.found
