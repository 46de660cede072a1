"""``mattehub evaluate``: score predicted mattes against a config's ground truth.

Ground truth is streamed with ``mattehub.stream(config, data_dir, split)`` (a folder written
by ``mattehub build``, a release, or sources made on the fly). Predictions are 8-bit
single-channel PNGs under ``PRED_DIR``, named by the sample's ``__key__``:

=====================================================  ==========================================
configs                                                prediction files
=====================================================  ==========================================
one matte per sample (``aim``, ``composition-1k``,     ``PRED_DIR/<__key__>.png``
``duts``, ``surreal-alpha``)
instance images (``i-him``, ``i-him50k``, ``him2k``,   ``PRED_DIR/<__key__>/<k>.png``
``m-him2k``)
clips (``v-him``, ``v-him2k5``, ``v-him60``)           ``PRED_DIR/<__key__>/<t>/<k>.png``
=====================================================  ==========================================

``k`` (instance) and ``t`` (frame: 0-based position in the sample's clip) are integers, plain
or zero-padded: ``3.png``, ``03.png`` and ``0003.png`` all name instance 3 (two files naming
the same number are an error). A prediction has the ground truth's size exactly (nothing is
resized); a file that cannot be decoded, has more than one channel, is not 8-bit or has
another size stops the run with an error naming it.

**Missing predictions** are scored as all-zero mattes (a method cannot improve its mean by
skipping hard samples), counted and listed in the report; a run that finds no prediction at
all is refused, since that is a wrong ``PRED_DIR`` or layout rather than a result.

**Instances** follow MaGGIe's evaluation (``mattehub.analysis.metrics``): with ``--match index``
(default) prediction ``k`` is ground-truth instance ``k`` (MaGGIe predicts instance k from
guidance mask k, named after alpha k); with ``--match hungarian`` predictions in any order
are assigned by minimum total MAD. Unmatched ground-truth instances are scored against zeros;
extra predictions are counted and ignored. Instances whose guidance mask is absent
(``meta.mask_present[k]`` false, M-HIM2K) are not evaluated: MaGGIe's loader lists the mask
folder, so those alphas never enter its means. Means are over instances.

**Trimaps** (the unknown region): a single-matte config uses its stored ``trimap`` field when
it has one, else ``mattehub.trimap(alpha, "him-eval")``; each instance uses the trimap of its
own matte (``him-eval``), as MaGGIe does. ``--trimap KIND`` computes that kind everywhere.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import cv2
import numpy as np
from tqdm.auto import tqdm

from mattehub.core.errors import BuildError, SourceError
from mattehub.streaming.loading import stream
from mattehub.inputs import gate
from mattehub.analysis.clip_metrics import CLIP_METRICS, clip_errors
from mattehub.analysis.metrics import FRAME_METRICS, MATCHINGS, REGIONS, SCALES, match_instances, matting_errors
from mattehub.synthesis.trimap import trimap as make_trimap
from mattehub.contract.choices import EVALUATION_TRIMAP_KINDS

TRIMAP_KINDS = EVALUATION_TRIMAP_KINDS
"""Trimap kinds ``--trimap`` can compute (``random`` needs a seed and is for training)."""
DEFAULT_TRIMAP = "him-eval"
NEEDED_FIELDS = ("__key__", "alpha", "trimap", "instance_alphas", "meta")
"""The only fields read: images, frames and foregrounds are never decoded."""
PNG_FIX = ("write each predicted matte as an 8-bit single-channel PNG, e.g. "
           "cv2.imwrite(path, np.rint(alpha * 255).astype(np.uint8))")
_NUMBER = re.compile(r"[0-9]+")
LABELS = {"sad": "SAD", "mse": "MSE", "mad": "MAD", "grad": "Grad", "conn": "Conn",
          "dtssd": "dtSSD", "messddt": "MESSDdt"}
"""Column titles of the printed table."""


@dataclass(frozen=True)
class EvaluationOptions:
    """What ``mattehub evaluate`` scores, and how."""

    config: str
    data_dir: str
    pred_dir: Path
    split: str = "train"
    trimap_kind: str | None = None
    """None: the stored ``trimap`` field where there is one, else ``him-eval``."""
    matching: str = "index"
    progress: bool = True


# -- prediction files -------------------------------------------------------------------------


def read_prediction(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """The 8-bit (H, W) matte in ``path``, read through the one gate every mattehub input
    passes (``mattehub.inputs.gate``: complete, decodable, at the ground truth's size). A
    file the gate would have to convert (colour, 16-bit, RGBA) is refused rather than
    converted: a prediction is scored exactly as written."""
    data = gate.read_file(path)
    matte = gate.decode_matte(data, path, size=(shape[1], shape[0]), keep_lossy=True)
    if matte.note is not None:  # say what the file is, not what a conversion would do
        array = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        kind = f"{8 * array.dtype.itemsize}-bit, {1 if array.ndim == 2 else array.shape[2]} channel(s)"
        raise SourceError(path, f"refused: it is {kind}, and a prediction must be an 8-bit "
                                "single-channel matte (scored as written, never converted)", PNG_FIX)
    return matte.array


def numbered(folder: Path, suffix: str = "") -> dict[int, Path]:
    """Files ``<integer><suffix>`` (or, without suffix, folders ``<integer>``) in ``folder``,
    by that integer, plain or zero-padded; {} when the folder does not exist. Two names for
    one number are an error."""
    if not folder.is_dir():
        return {}
    found: dict[int, Path] = {}
    for entry in sorted(folder.iterdir()):
        stem = entry.name[:len(entry.name) - len(suffix)] if entry.name.endswith(suffix) else ""
        wanted_type = entry.is_file() if suffix else entry.is_dir()
        if not (_NUMBER.fullmatch(stem) and wanted_type):
            continue
        number = int(stem)
        if number in found:
            raise SourceError(entry, f"names the same number as {found[number].name}",
                              "keep one file per instance and frame")
        found[number] = entry
    return found


class Predictions:
    """The prediction folder: finds and reads files, and records what was missing."""

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise SourceError(root, "is not a folder of predictions",
                              "pass --pred the folder holding <__key__>.png or <__key__>/ entries")
        if not any(root.iterdir()):
            raise SourceError(root, "is empty", "nothing to evaluate: write the predictions first")
        self.root = root
        self.found = 0
        self.missing: list[str] = []

    def read(self, path: Path | None, shape: tuple[int, int], expected: str) -> np.ndarray | None:
        """The matte at ``path``, or None (recorded under ``expected``) when there is none."""
        if path is None or not path.is_file():
            self.missing.append(expected)
            return None
        self.found += 1
        return read_prediction(path, shape)


# -- scoring one sample -----------------------------------------------------------------------


def _array(image: Any) -> np.ndarray:
    """A decoded ground-truth image (PIL, mode L) as uint8 (H, W)."""
    return np.asarray(image, dtype=np.uint8)


def _instance_trimap(alpha: np.ndarray, kind: str | None) -> np.ndarray:
    """An instance's trimap: computed from its own matte (MaGGIe), ``him-eval`` by default."""
    return make_trimap(alpha, kind or DEFAULT_TRIMAP)


def _evaluated_instances(meta: dict | None, count: int) -> list[int]:
    """Instances with a guidance mask (all of them when the config has no ``mask_present``)."""
    present = (meta or {}).get("mask_present") or []
    return [k for k in range(count) if k >= len(present) or present[k]]


def _assign(available: list[int], gts: list[np.ndarray], wanted: list[int], matching: str,
            load: Callable[[int], np.ndarray]) -> list[int | None]:
    """The prediction number for each ground-truth instance in ``wanted``: the same number
    (index), or the minimum-MAD assignment among ``available`` predictions (hungarian)."""
    if matching == "index":
        return [k if k in available else None for k in wanted]
    positions = match_instances([load(j) for j in available], [gts[k] for k in wanted], "hungarian")
    return [None if p is None else available[p] for p in positions]


def score_alpha(sample: dict, preds: Predictions, options: EvaluationOptions) -> dict:
    """One-matte sample: its errors, whole image and unknown region."""
    key, gt = sample["__key__"], _array(sample["alpha"])
    if options.trimap_kind is None and sample.get("trimap") is not None:
        trimap = _array(sample["trimap"])
    else:
        trimap = make_trimap(gt, options.trimap_kind or DEFAULT_TRIMAP)
    name = f"{key}.png"
    pred = preds.read(preds.root / name, gt.shape, name)
    errors = matting_errors(np.zeros_like(gt) if pred is None else pred, gt, trimap)
    return {"key": key, "prediction": None if pred is None else name, **errors}


def score_instances(sample: dict, preds: Predictions, options: EvaluationOptions) -> dict:
    """Instance image: each evaluated ground-truth instance against its matched prediction."""
    key = sample["__key__"]
    gts = [_array(alpha) for alpha in sample["instance_alphas"]]
    wanted = _evaluated_instances(sample.get("meta"), len(gts))
    files = numbered(preds.root / key, ".png")
    shape = gts[0].shape if gts else (0, 0)
    cache: dict[int, np.ndarray | None] = {}

    def load(j: int) -> np.ndarray | None:
        if j not in cache:
            cache[j] = preds.read(files.get(j), shape, f"{key}/{j}.png")
        return cache[j]

    assignment = _assign(sorted(files), gts, wanted, options.matching, load)
    instances = []
    for k, j in zip(wanted, assignment):
        pred = load(j) if j is not None else _record_unmatched(preds, key, k, options.matching)
        errors = matting_errors(np.zeros_like(gts[k]) if pred is None else pred, gts[k],
                                _instance_trimap(gts[k], options.trimap_kind))
        instances.append({"instance": k, "prediction": None if pred is None else j, **errors})
    return _instance_record(key, instances, wanted, len(gts), set(files) - set(assignment))


def score_clip(sample: dict, preds: Predictions, options: EvaluationOptions) -> dict:
    """Clip: each evaluated instance's clip (T, H, W) against its matched predicted clip."""
    key = sample["__key__"]
    frames = [[_array(alpha) for alpha in frame] for frame in sample["instance_alphas"]]
    count = len(frames[0]) if frames else 0
    gts = [np.stack([frame[k] for frame in frames]) for k in range(count)]
    wanted = _evaluated_instances(sample.get("meta"), count)
    files = {t: numbered(folder, ".png") for t, folder in numbered(preds.root / key).items()}
    available = sorted({j for per_frame in files.values() for j in per_frame})
    shape = gts[0].shape[1:] if gts else (0, 0)
    cache: dict[int, np.ndarray] = {}

    def load(j: int) -> np.ndarray:
        if j not in cache:
            read = [preds.read(files.get(t, {}).get(j), shape, f"{key}/{t}/{j}.png")
                    for t in range(len(frames))]
            cache[j] = np.stack([np.zeros(shape, np.uint8) if r is None else r for r in read])
        return cache[j]

    assignment = _assign(available, gts, wanted, options.matching, load)
    instances = []
    for k, j in zip(wanted, assignment):
        if j is None and options.matching == "index":
            pred = load(k)  # every frame file missing: recorded per frame, scored as zeros
        else:
            pred = load(j) if j is not None else _record_unmatched(preds, key, k, options.matching)
        trimaps = np.stack([_instance_trimap(frame, options.trimap_kind) for frame in gts[k]])
        errors = clip_errors(np.zeros_like(gts[k]) if pred is None else pred, gts[k], trimaps)
        instances.append({"instance": k, "prediction": j, **errors})
    return _instance_record(key, instances, wanted, count, set(available) - set(assignment))


def _record_unmatched(preds: Predictions, key: str, k: int, matching: str) -> None:
    """Record a ground-truth instance left without a prediction (scored as zeros)."""
    if matching == "hungarian":
        preds.missing.append(f"{key}: instance {k} (no prediction left to match)")
    else:
        preds.missing.append(f"{key}/{k}.png")


def _instance_record(key: str, instances: list[dict], wanted: list[int], count: int,
                     extra: set) -> dict:
    """The JSON record of an instance sample: scored instances, unevaluated and extra ones."""
    return {"key": key, "instances": instances,
            "instances_without_mask": [k for k in range(count) if k not in wanted],
            "extra_predictions": sorted(j for j in extra if j is not None)}


SCORERS: dict[str, Callable[[dict, Predictions, EvaluationOptions], dict]] = {
    "alpha": score_alpha, "instances": score_instances, "clip": score_clip}


def sample_kind(sample: dict, config: str) -> str:
    """``clip``, ``instances`` or ``alpha``: what a config's samples hold (fixed per config)."""
    instances = sample.get("instance_alphas")
    if instances is not None:
        return "clip" if instances and isinstance(instances[0], list) else "instances"
    if sample.get("alpha") is not None:
        return "alpha"
    raise BuildError(f"{config} has no alpha or instance_alphas field: nothing to evaluate "
                     "predicted mattes against")


# -- the run ----------------------------------------------------------------------------------


@dataclass
class EvaluationReport:
    """Per-sample errors of one config/split and their means."""

    options: EvaluationOptions
    kind: str
    samples: list[dict]
    missing: list[str]
    found: int
    entries: list[dict] = field(default_factory=list)
    """What the means average: samples (one-matte configs) or evaluated instances."""

    @property
    def metrics(self) -> tuple[str, ...]:
        return CLIP_METRICS if self.kind == "clip" else FRAME_METRICS

    def trimap_rule(self) -> str:
        """Where the unknown region came from, in words."""
        kind = self.options.trimap_kind
        if self.kind != "alpha":
            return f"{kind or DEFAULT_TRIMAP} of each instance's matte"
        return kind or f"stored trimap field, else {DEFAULT_TRIMAP}"

    def means(self) -> dict[str, dict[str, float]]:
        """Mean of each metric per region over ``entries`` (0 when there are none)."""
        return {region: {m: float(np.mean([e[region][m] for e in self.entries])) if self.entries
                         else 0.0 for m in self.metrics} for region in REGIONS}

    def counts(self) -> dict[str, int]:
        """Samples, scored entries, predictions read, missing, unevaluated and extra instances."""
        counts = {"samples": len(self.samples), "predictions_read": self.found,
                  "missing_predictions": len(self.missing)}
        if self.kind != "alpha":
            counts.update(
                instances=len(self.entries),
                instances_without_mask=sum(len(s["instances_without_mask"]) for s in self.samples),
                extra_predictions=sum(len(s["extra_predictions"]) for s in self.samples))
        return counts

    def format(self) -> str:
        """The means as an aligned table, with counts, scales and missing predictions."""
        o, counts = self.options, self.counts()
        over = (f"{counts['instances']} instances (means over instances)" if self.kind != "alpha"
                else "means over samples")
        lines = [f"{o.config}/{o.split}: {counts['samples']} samples, {over}; matching: "
                 f"{o.matching}; trimap: {self.trimap_rule()}"]
        header = ["region"] + [LABELS[m] for m in self.metrics]
        rows = [header] + [[region] + [f"{value:.4g}" for value in values.values()]
                           for region, values in self.means().items()]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines += ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                            for i, (cell, w) in enumerate(zip(row, widths))) for row in rows]
        lines.append("scales (alpha in [0, 1]): SAD, Grad, Conn sums / 1000; MSE, MAD means x 1000"
                     + ("; dtSSD x 100; MESSDdt x 10^4" if self.kind == "clip" else ""))
        lines += self._notes(counts)
        return "\n".join(lines)

    def _notes(self, counts: dict[str, int]) -> list[str]:
        notes = []
        if self.missing:
            shown = ", ".join(self.missing[:5]) + (", ..." if len(self.missing) > 5 else "")
            notes.append(f"{len(self.missing)} missing predictions scored as all-zero mattes: {shown}")
        if counts.get("instances_without_mask"):
            notes.append(f"{counts['instances_without_mask']} instances without a guidance mask "
                         "not evaluated (as in MaGGIe's evaluation)")
        if counts.get("extra_predictions"):
            notes.append(f"{counts['extra_predictions']} predicted instances matched no ground "
                         "truth and were ignored")
        return notes

    def as_dict(self) -> dict:
        """JSON-able form: options, definitions, counts, means and every sample's errors."""
        o = self.options
        return {"config": o.config, "split": o.split, "data_dir": str(o.data_dir),
                "pred_dir": str(o.pred_dir), "kind": self.kind, "matching": o.matching,
                "trimap": self.trimap_rule(),
                "means_over": "samples" if self.kind == "alpha" else "instances",
                "scales": {m: SCALES[m] for m in self.metrics}, "counts": self.counts(),
                "means": self.means(), "missing": self.missing, "samples": self.samples}


def ground_truth(options: EvaluationOptions) -> Iterator[dict]:
    """The split's samples with only the fields evaluation reads; a config, split or folder
    ``datasets`` cannot serve is a BuildError saying so."""
    try:
        dataset = stream(options.config, options.data_dir, options.split)
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


def evaluate(options: EvaluationOptions) -> EvaluationReport:
    """Score every sample of ``options.split`` against ``options.pred_dir``."""
    if options.matching not in MATCHINGS:
        raise BuildError(f"unknown matching {options.matching!r}: use one of {', '.join(MATCHINGS)}")
    preds = Predictions(Path(options.pred_dir))
    samples: list[dict] = []
    kind = None
    bar = tqdm(ground_truth(options), unit="sample", disable=not options.progress,
               desc=f"evaluate {options.config}/{options.split}")
    for sample in bar:
        kind = kind or sample_kind(sample, options.config)
        samples.append(SCORERS[kind](sample, preds, options))
    if preds.found == 0:
        raise BuildError(f"{options.pred_dir}: no prediction found for any of the {len(samples)} "
                         f"samples of {options.config}/{options.split}; expected "
                         f"{_layout_example(kind, samples[0]['key'])} (see docs/evaluation.md)")
    entries = samples if kind == "alpha" else [i for s in samples for i in s["instances"]]
    return EvaluationReport(options, kind, samples, preds.missing, preds.found, entries)


def _layout_example(kind: str, key: str) -> str:
    """The first prediction file the layout expects, for error messages."""
    return {"alpha": f"{key}.png", "instances": f"{key}/0.png",
            "clip": f"{key}/0/0.png"}[kind]
