"""``bench_overlay.py``'s settings: where it works, the runs it makes (``RUNS``,
``MODEL_RUNS``), the targets, upstream's numbers and how much a full or quick run does
(``Plan``); shared by the driver, its children (``overlay_children.py``) and its report
(``overlay_report.py``)."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

WORK = (Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else
        Path(tempfile.gettempdir())) / "mattehub-bench-overlay"  # tmpfs: outputs cost no disk
SEED, CONFIG, PER_PAIR = 0, "overlay-depth", 40
TARGETS = {"none": 2.0, "exact": 2.0}
"""(a) samples/s >= this x (b), per ``--depth`` mode; the whole-process (A)/(B) target is "none"'s."""
MARKS = ("<!-- bench_overlay:start -->", "<!-- bench_overlay:end -->")
PACKAGES = ("mattehub", "numpy", "opencv-python-headless", "pillow", "pyarrow", "webdataset",
            "torch", "transformers")
BG_PIXELS = (640, 480)
FG_HEIGHT = 150
UPSTREAM = {"pairs_samples": 400_000, "overlay_min": 20.8, "depth_h": 6.2, "depth_batch": 60}
BOTH = "parquet,webdataset"
FLOOR_SAMPLES = 960
"""The encoding-only floor encodes the first this many overlays (held in memory: all 9,600
would be ~3 GB with depth)."""
MODES = ("none", "exact")
RUNS = {  # kind: (child, spec, what)
    **{f"{run}-{mode}": spec for mode in MODES for run, spec in (
        ("a", ("mattehub", {"depth": mode, "formats": BOTH},
               "mattehub CLI, Parquet + WebDataset")),
        ("p", ("mattehub", {"depth": mode, "formats": "parquet"}, "mattehub CLI, Parquet only")),
        ("b", ("reference", {"depth": mode}, "reference: Pillow + numpy, JPEG folders")),
        ("a1", ("mattehub", {"depth": mode, "formats": BOTH, "pairs": 1},
                "(a) on one pair")),
        ("p1", ("mattehub", {"depth": mode, "formats": "parquet", "pairs": 1},
                "(p) on one pair")))},
    "A-none": ("whole", {"side": "mattehub", "depth": "none", "formats": BOTH},
               "`mattehub build overlay-depth --depth none`, Parquet + WebDataset, whole process"),
    "A50-none": ("whole", {"side": "mattehub", "depth": "none", "formats": BOTH, "jpeg_quality": 50},
                 "(A) with `--jpeg-quality 50` (the reference's quality)"),
    "B-none": ("whole", {"side": "reference", "depth": "none"},
               "reference (Pillow + numpy, JPEG q50 folders + csv), whole process"),
}
WHOLE = ("A-none", "A50-none", "B-none")
MODEL_RUNS = {
    "m": ("mattehub", {"depth": "model", "formats": BOTH},
          "mattehub CLI, `--depth <tiny DPT> --device cpu`, Parquet + WebDataset"),
    "m1": ("mattehub", {"depth": "model", "formats": BOTH, "batches": 1}, "(m) on one batch")}
FORWARD = dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
               intermediate_size=3072, image_size=384, patch_size=16,
               backbone_out_indices=[2, 5, 8, 11], neck_hidden_sizes=[96, 192, 384, 768],
               fusion_hidden_size=256)
"""A ViT-B/16 DPT (the size of MiDaS v3 / DPT base models) for the forward-only timing."""


@dataclass(frozen=True)
class Plan:
    """How much to run: ``backgrounds`` x ``foregrounds`` pairs of 40 samples, best of
    ``repeats``; the model run makes ``model_samples`` samples in batches of ``model_batch``."""

    backgrounds: int
    foregrounds: int
    repeats: int
    model_samples: int
    model_batch: int
    forward_batch: int

    @property
    def pairs(self) -> int:
        return self.backgrounds * self.foregrounds


FULL = Plan(backgrounds=24, foregrounds=10, repeats=3, model_samples=320, model_batch=16,
            forward_batch=2)
QUICK = Plan(backgrounds=2, foregrounds=2, repeats=1, model_samples=64, model_batch=16,
             forward_batch=1)

