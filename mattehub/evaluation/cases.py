"""What one ground-truth sample asks to be scored (a ``Case``), and its predictions paired
with its instances (``pair``).

A sample is ``alpha`` (one matte), ``instances`` (an image's instance mattes) or ``clip``
(per frame, per instance mattes); the kind is fixed per config. Instances whose guidance
mask was not published (``meta.mask_present[k]`` false, M-HIM2K) are not evaluated:
MaGGIe's loader lists the mask folder, so those alphas never enter its means.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mattehub.analysis.matching import match_instances
from mattehub.core.errors import BuildError
from mattehub.evaluation.predictions import PredictionFolder, numbered, single


@dataclass
class Case:
    """One sample: its ground-truth mattes (uint8; (H, W) each, (T, H, W) for clips) and
    what a protocol may need besides."""

    key: str
    kind: str
    gts: list[np.ndarray]
    """Ground truth of each evaluated instance (one entry for ``alpha`` samples)."""
    ids: list[int]
    """The instance number of each entry of ``gts`` (what prediction files are named by)."""
    count: int
    """Instances in the sample, evaluated or not."""
    trimap: np.ndarray | None = None
    """The stored trimap (``alpha`` samples that have one)."""
    guidance: list[np.ndarray] | None = None
    """Guidance mask of each entry of ``gts`` (stored masks), when the sample has them."""
    without_mask: list[int] = field(default_factory=list)
    """Instances not evaluated: no guidance mask was published for them."""
    notes: dict[str, Any] = field(default_factory=dict)
    """What a protocol's preparation decided (e.g. MaGGIe's instance cap), for the record."""


@dataclass
class Pair:
    """A ground-truth instance and the prediction it was paired with (zeros if none)."""

    instance: int
    prediction: int | str | None
    gt: np.ndarray
    pred: np.ndarray


def _array(image: Any) -> np.ndarray:
    return np.asarray(image, dtype=np.uint8)


def sample_kind(sample: dict, config: str) -> str:
    """``clip``, ``instances`` or ``alpha``: what a config's samples hold."""
    instances = sample.get("instance_alphas")
    if instances is not None:
        return "clip" if instances and isinstance(instances[0], list) else "instances"
    if sample.get("alpha") is not None:
        return "alpha"
    raise BuildError(f"{config} has no alpha or instance_alphas field: nothing to evaluate "
                     "predicted mattes against")


def evaluated_instances(meta: dict | None, count: int) -> list[int]:
    """Instances with a guidance mask (all of them when the config has no ``mask_present``)."""
    present = (meta or {}).get("mask_present") or []
    return [k for k in range(count) if k >= len(present) or present[k]]


def make_case(sample: dict, kind: str) -> Case:
    """The ``Case`` of a streamed sample (decoded images)."""
    key = sample["__key__"]
    if kind == "alpha":
        trimap = sample.get("trimap")
        return Case(key, kind, [_array(sample["alpha"])], [0], 1,
                    None if trimap is None else _array(trimap))
    if kind == "instances":
        gts = [_array(alpha) for alpha in sample["instance_alphas"]]
        masks = [_array(m) for m in sample.get("instance_masks") or []]
    else:
        frames = [[_array(alpha) for alpha in frame] for frame in sample["instance_alphas"]]
        count = len(frames[0]) if frames else 0
        gts = [np.stack([frame[k] for frame in frames]) for k in range(count)]
        mask_frames = sample.get("instance_masks") or []
        masks = [np.stack([_array(frame[k]) for frame in mask_frames]) for k in range(count)
                 ] if mask_frames and all(len(f) == count for f in mask_frames) else []
    wanted = evaluated_instances(sample.get("meta"), len(gts))
    return Case(key, kind, [gts[k] for k in wanted], wanted, len(gts),
                guidance=[masks[k] for k in wanted] if len(masks) == len(gts) else None,
                without_mask=[k for k in range(len(gts)) if k not in wanted])


# -- pairing --------------------------------------------------------------------------------


def _instance_loader(case: Case, folder: PredictionFolder):
    """Available prediction numbers, and a loader of prediction j as an array shaped like
    the case's ground truth (missing frames zero, each recorded)."""
    shape = case.gts[0].shape if case.gts else (0, 0)
    cache: dict[int, np.ndarray | None] = {}
    if case.kind == "instances":
        files = numbered(folder.root / case.key)
        available = sorted(files)

        def load(j: int) -> np.ndarray | None:
            if j not in cache:
                cache[j] = folder.read(files.get(j), shape, f"{case.key}/{j}.png")
            return cache[j]
        return available, load
    per_frame = {t: numbered(path) for t, path in numbered(folder.root / case.key, files=False).items()}
    available = sorted({j for found in per_frame.values() for j in found})

    def load_clip(j: int) -> np.ndarray:
        if j not in cache:
            read = [folder.read(per_frame.get(t, {}).get(j), shape[1:], f"{case.key}/{t}/{j}.png")
                    for t in range(shape[0])]
            cache[j] = np.stack([np.zeros(shape[1:], np.uint8) if r is None else r for r in read])
        return cache[j]
    return available, load_clip


def pair(case: Case, folder: PredictionFolder, matching: str) -> tuple[list[Pair], list[int]]:
    """Each evaluated instance with its prediction (all zeros when it has none, recorded as
    missing), and the prediction numbers matched to no instance."""
    if case.kind == "alpha":
        path = single(folder.root, case.key)
        pred = folder.read(path, case.gts[0].shape, f"{case.key}.png")
        name = None if path is None else path.name
        return [Pair(0, name, case.gts[0], np.zeros_like(case.gts[0]) if pred is None else pred)], []
    available, load = _instance_loader(case, folder)
    if matching == "index":
        chosen = [k if k in available else None for k in case.ids]
    else:
        positions = match_instances([load(j) for j in available], case.gts, matching)
        chosen = [None if p is None else available[p] for p in positions]
    pairs = []
    for k, gt, j in zip(case.ids, case.gts, chosen):
        if j is None and case.kind == "clip" and matching == "index":
            pred = load(k)  # every frame file missing: each recorded, scored as zeros
        elif j is None:
            folder.missing.append(f"{case.key}: instance {k} (no prediction left to match)"
                                  if matching != "index" else f"{case.key}/{k}.png")
            pred = None
        else:
            pred = load(j)
        pairs.append(Pair(k, j, gt, np.zeros_like(gt) if pred is None else pred))
    return pairs, sorted(set(available) - set(chosen))
