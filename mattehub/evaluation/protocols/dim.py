"""``--protocol dim`` (default): the Deep Image Matting / alphamatting.com definitions.

Every metric as ``mattehub.analysis.metrics`` defines it (the MATLAB evaluation code, Ning
Xu 2018): SAD, MSE, MAD, Grad, Conn per image and per frame, over the whole image and the
unknown region of a trimap; a clip's frame errors are the means over its frames, plus
dtSSD and MESSDdt (``mattehub.analysis.clip_metrics``). Means are over samples (one-matte
configs) or over evaluated instances, each weighing the same.

Unknown region: a one-matte sample's stored ``trimap`` where it has one, else
``trimap(alpha, "him-eval")``; each instance's own ``him-eval`` trimap (per frame for clips);
``--trimap KIND`` computes that kind everywhere.
"""
from __future__ import annotations

import numpy as np

from mattehub.analysis.clip_metrics import CLIP_METRICS, clip_errors
from mattehub.analysis.metrics import FRAME_METRICS, REGIONS, matting_errors
from mattehub.evaluation.cases import Case, Pair
from mattehub.evaluation.protocols.base import Protocol, Summary
from mattehub.synthesis.trimap import trimap as make_trimap

DEFAULT_TRIMAP = "him-eval"


def unknown_trimap(case: Case, gt: np.ndarray, kind: str | None) -> np.ndarray:
    """The trimap whose 128s are a pair's unknown region (see the module docstring)."""
    if case.kind == "alpha" and kind is None and case.trimap is not None:
        return case.trimap
    if gt.ndim == 3:
        return np.stack([make_trimap(frame, kind or DEFAULT_TRIMAP) for frame in gt])
    return make_trimap(gt, kind or DEFAULT_TRIMAP)


def trimap_rule(kind: str, trimap_kind: str | None) -> str:
    """Where the unknown region came from, in words."""
    if kind != "alpha":
        return f"{trimap_kind or DEFAULT_TRIMAP} of each instance's matte"
    return trimap_kind or f"stored trimap field, else {DEFAULT_TRIMAP}"


class DimProtocol(Protocol):
    """Today's definitions: correct per-pixel metrics, means over samples or instances."""

    name = "dim"
    title = "protocol dim (Deep Image Matting / alphamatting.com definitions)"
    scales = "SAD, Grad, Conn sums / 1000; MSE, MAD means x 1000"

    def score(self, case: Case, pairs: list[Pair], trimap_kind: str | None) -> dict:
        errors = clip_errors if case.kind == "clip" else matting_errors
        scored = [{"instance": p.instance, "prediction": p.prediction,
                   **errors(p.pred, p.gt, unknown_trimap(case, p.gt, trimap_kind))} for p in pairs]
        if case.kind == "alpha":
            return {key: value for key, value in scored[0].items() if key != "instance"}
        return {"instances": scored}

    def summarise(self, kind: str, records: list[dict]) -> Summary:
        entries = records if kind == "alpha" else [i for r in records for i in r["instances"]]
        metrics = CLIP_METRICS if kind == "clip" else FRAME_METRICS
        means = {region: {m: float(np.mean([e[region][m] for e in entries])) if entries else 0.0
                          for m in metrics} for region in REGIONS}
        over = "samples" if kind == "alpha" else "instances"
        return Summary(means, over, {"instances": len(entries)} if kind != "alpha" else {})

    def describe_scales(self, kind: str) -> str:
        return self.scales + ("; dtSSD x 100; MESSDdt x 10^4" if kind == "clip" else "")
