"""``--protocol maggie``: MaGGIe's released evaluation (hmchuong/MaGGIe commit 62344dd,
``maggie/engine/test.py`` ``eval_image`` / ``eval_video``, ``maggie/dataloader/him.py`` and
``vim.py``, ``configs/maggie_image.yaml`` / ``maggie_video.yaml``), quirks included. The
metric formulas are in ``maggie_metrics`` and the clip loop in ``maggie_video``; here:

* **10-instance cap** (images): an image with more than 10 evaluated instances keeps 10
  drawn by ``np.random.RandomState(2023).choice(n, 10, replace=False)``. The released test
  loader holds that generator in each of its 4 DataLoader workers (``test.num_workers: 4``),
  which take the images in turn: image ``i`` of the split (in order, counting only images
  with an evaluated instance) draws from worker ``i % 4``'s copy. One GPU is assumed
  (``torchrun --nproc_per_node`` N would also split the images over N ranks). Clips keep
  their first 10 instances (``vim.py``).
* **Empty guidance skipped**: an image whose guidance masks, after MaGGIe's resize (short
  side 576, nearest) and 1/8 nearest downsampling, are all zero is not scored (a clip window
  likewise, at 576 without downsampling). Samples without stored masks use their ground
  truth as the guidance (MaGGIe derives masks from the alphas there).
* **Weighting**: every frame x instance map counts once; means are ``sum / (count + 1e-6)``
  over the split.
"""
from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

from mattehub.evaluation.cases import Case, Pair
from mattehub.evaluation.protocols import maggie_video as video
from mattehub.evaluation.protocols.base import Protocol, Summary
from mattehub.evaluation.protocols.maggie_metrics import (
    EPSILON, FRAME_METRICS, REGION_MAD, frame_update, snapped, unit)

CAP, CAP_SEED, LOADER_WORKERS = 10, 2023, 4
SHORT_SIDE, MASK_STRIDE = 576, 8
"""``short_size`` of the test configs; the 1/8 mask downsampling of ``HIMDataset``."""
TEMPORAL = ("dtssd", "messddt")


def _resized(mask: np.ndarray) -> np.ndarray:
    """A guidance mask after ``ResizeShort(576)`` (nearest)."""
    height, width = mask.shape
    ratio = SHORT_SIDE * 1.0 / min(width, height)
    if ratio == 1:
        return mask
    return cv2.resize(mask, (int(width * ratio), int(height * ratio)),
                      interpolation=cv2.INTER_NEAREST)


def image_guidance_empty(masks: list[np.ndarray]) -> bool:
    """MaGGIe's ``batch['mask'].sum() == 0`` for an image."""
    return all(not _resized(m)[::MASK_STRIDE, ::MASK_STRIDE].any() for m in masks)


def _capped(case: Case, keep: list[int]) -> Case:
    case.notes["capped_from"] = len(case.ids)
    case.gts, case.ids = [case.gts[i] for i in keep], [case.ids[i] for i in keep]
    case.guidance = None if case.guidance is None else [case.guidance[i] for i in keep]
    return case


class MaggieProtocol(Protocol):
    """MaGGIe's ``eval_image`` / ``eval_video`` on files."""

    name = "maggie"
    title = ("protocol maggie: MaGGIe's released evaluation (hmchuong/MaGGIe 62344dd), its "
             "quirks included")
    scales = ("SAD, Grad, Conn sums x 1e-3; MSE, MAD mean / region pixels x 1e10; means over "
              "frames x instances")

    def prepare(self, cases: Iterator[Case]) -> Iterator[Case]:
        streams: dict[int, np.random.RandomState] = {}
        index = 0
        for case in cases:
            if case.kind == "clip" and len(case.ids) > CAP:
                case = _capped(case, list(range(CAP)))
            elif case.kind != "clip" and case.ids:
                if len(case.ids) > CAP:
                    stream = streams.setdefault(index % LOADER_WORKERS, np.random.RandomState(CAP_SEED))
                    case = _capped(case, sorted(int(i) for i in stream.choice(len(case.ids), CAP, replace=False)))
                index += 1
            yield case

    def score(self, case: Case, pairs: list[Pair], trimap_kind: str | None) -> dict:
        guidance = case.guidance or case.gts
        instances = [{"instance": p.instance, "prediction": p.prediction,
                      "scores": dict.fromkeys(self._metrics(case.kind), 0.0),
                      "counts": dict.fromkeys(self._metrics(case.kind), 0)} for p in pairs]
        record = {"instances": instances, "skipped": None, **case.notes}
        if case.kind != "clip":
            if image_guidance_empty(guidance):
                record["skipped"] = "guidance masks all empty: MaGGIe skips the image"
                return record
            maps = frame_update(np.stack([snapped(p.pred) for p in pairs]), np.stack(case.gts))
            for entry, scores in zip(instances, maps):
                _add(entry, scores)
            return record
        try:
            self._score_clip(pairs, guidance, instances)
        except video.Unscorable as exc:
            record["skipped"] = str(exc)
            for entry in instances:
                entry["scores"] = dict.fromkeys(entry["scores"], 0.0)
                entry["counts"] = dict.fromkeys(entry["counts"], 0)
        return record

    @staticmethod
    def _metrics(kind: str) -> tuple[str, ...]:
        regions = tuple(f"mad_{region}" for region in REGION_MAD)
        return FRAME_METRICS + regions + (TEMPORAL if kind == "clip" else ())

    @staticmethod
    def _score_clip(pairs: list[Pair], guidance: list[np.ndarray], instances: list[dict]) -> None:
        preds = [np.stack([snapped(frame) for frame in p.pred]) for p in pairs]
        gts = [p.gt for p in pairs]
        resized = [np.stack([_resized(frame) for frame in clip]) for clip in guidance]

        def empty(window: list[int]) -> bool:
            return all(not clip[window].any() for clip in resized)

        for current, prior in video.calls(len(gts[0]), empty):
            p, g = video.clip_arrays(preds, gts, current)
            maps = frame_update(p.reshape(-1, *p.shape[2:]), g.reshape(-1, *g.shape[2:]))
            for b, scores in enumerate(maps):
                _add(instances[b % len(pairs)], scores)
            if prior is not None:  # temporal metrics: the previous frames, then these
                p, g = video.clip_arrays(preds, gts, (prior[0] + current[0], prior[1] + current[1]))
                for name, update in (("dtssd", video.dtssd_update), ("messddt", video.messddt_update)):
                    for entry, value in zip(instances, update(p, unit(g))):
                        _add(entry, {name: value})

    def summarise(self, kind: str, records: list[dict]) -> Summary:
        totals: dict[str, float] = {}
        counts: dict[str, int] = {}
        for entry in (i for r in records if not r["skipped"] for i in r["instances"]):
            for name, value in entry["scores"].items():
                totals[name] = totals.get(name, 0.0) + value
                counts[name] = counts.get(name, 0) + entry["counts"][name]
        means = {name: totals.get(name, 0.0) / (counts.get(name, 0) + EPSILON)
                 for name in self._metrics(kind)}
        table = {"whole": {m: means[m] for m in FRAME_METRICS + (TEMPORAL if kind == "clip" else ())}}
        table.update({region: {"mad": means[f"mad_{region}"]} for region in REGION_MAD})
        skipped = [r for r in records if r["skipped"]]
        capped = sum(1 for r in records if "capped_from" in r)
        notes = [f"{len(skipped)} samples not scored, as MaGGIe would not: "
                 + "; ".join(sorted({r['skipped'] for r in skipped}))] if skipped else []
        if capped:
            notes.append(f"{capped} samples had more than {CAP} instances: {CAP} kept "
                         f"({'seeded draw, seed ' + str(CAP_SEED) if kind != 'clip' else 'the first'})")
        return Summary(table, "frames x instances (MaGGIe: each map counts once)",
                       {"instances": sum(len(r["instances"]) for r in records if not r["skipped"]),
                        "maps": counts.get("sad", 0), "skipped_samples": len(skipped),
                        "capped_samples": capped}, notes)


def _add(entry: dict, scores: dict[str, float]) -> None:
    """Add one map's (or one temporal update's) scores to an instance's sums and counts."""
    for name, value in scores.items():
        entry["scores"][name] += value
        entry["counts"][name] += 1
