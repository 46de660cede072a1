"""Pairing predicted instances with ground-truth instances (``mattehub evaluate --match``).

Three rules, each a published convention or a stated one:

* ``"index"``: prediction k is instance k. MaGGIe predicts instance k from guidance mask k,
  and each mask file is named after the ground-truth alpha it was matched to.
* ``"hungarian"``: mattehub's own rule for predictions in any order: the assignment of
  least total MAD (mean absolute difference, whole image and all frames) between matched
  pairs, ``scipy.optimize.linear_sum_assignment`` with ground truths as rows. MAD is defined
  for soft and for empty mattes, and it is the error being measured.
* ``"iou"``: InstMatt's (Sun et al., CVPR 2022, ``evaluation/eval.py`` and ``IMQ.py``
  ``match``): each matte binarised at ``> 0``, ``IoU = |P & G| / (|P | G| + 1e-8)`` between
  every prediction (rows) and every ground truth (columns), and the assignment of least total
  ``1 - IoU``. Clips: the intersections and unions are summed over frames (InstMatt scores
  images only). Every assigned pair is kept, whatever its IoU, as InstMatt does.

With any rule a ground-truth instance may be left without a prediction (fewer predictions
than instances): its entry is None.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mattehub.analysis.metrics import as_unit
from mattehub.contract.choices import MATCHINGS

IOU_EPSILON = 1e-8
"""InstMatt's ``union + 1e-8``."""


def _mad_cost(preds: Sequence[np.ndarray], gts: Sequence[np.ndarray]) -> np.ndarray:
    """MAD between every ground truth (rows) and every prediction (columns)."""
    return np.array([[float(np.abs(as_unit(p, "pred") - as_unit(g, "gt")).mean()) for p in preds]
                     for g in gts]).reshape(len(gts), len(preds))


def iou_matrix(preds: Sequence[np.ndarray], gts: Sequence[np.ndarray]) -> np.ndarray:
    """InstMatt's IoU of every prediction (rows) with every ground truth (columns), of the
    mattes binarised at ``> 0``."""
    p = np.stack([np.asarray(x) > 0 for x in preds]).reshape(len(preds), -1)
    g = np.stack([np.asarray(x) > 0 for x in gts]).reshape(len(gts), -1)
    inter = p.astype(np.int64) @ g.T.astype(np.int64)
    union = p.sum(1)[:, None] + g.sum(1)[None, :] - inter
    return inter / (union + IOU_EPSILON)


def match_instances(preds: Sequence[np.ndarray], gts: Sequence[np.ndarray],
                    how: str = "index") -> list[int | None]:
    """For each ground-truth instance, the index of its prediction (None: none left)."""
    if how == "index":
        return [k if k < len(preds) else None for k in range(len(gts))]
    if how not in MATCHINGS:
        raise ValueError(f"unknown matching {how!r}: expected one of {', '.join(MATCHINGS)}")
    assignment: list[int | None] = [None] * len(gts)
    if not preds or not gts:
        return assignment
    from scipy.optimize import linear_sum_assignment

    if how == "hungarian":
        for row, col in zip(*linear_sum_assignment(_mad_cost(preds, gts))):
            assignment[int(row)] = int(col)
    else:
        for row, col in zip(*linear_sum_assignment(1 - iou_matrix(preds, gts))):
            assignment[int(col)] = int(row)
    return assignment


def matched_predictions(preds: Sequence[np.ndarray], gts: Sequence[np.ndarray],
                        assignment: Sequence[int | None]) -> list[np.ndarray]:
    """The prediction paired with each ground-truth instance; an all-zero matte of the
    instance's shape where ``assignment`` has None (an unmatched instance is penalised)."""
    return [np.zeros_like(gt) if j is None else preds[j] for gt, j in zip(gts, assignment)]
