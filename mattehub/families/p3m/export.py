"""P3M-10k's published folders: how ``p3m-10k`` and ``p3m-500`` are exported (``P3M-10k/train/blurred_image``,
``P3M-10k/validation/P3M-500-NP/original_image``..., see ``layout.py``); the images and mattes
are the stored bytes, the validation trimaps the published ones."""
from __future__ import annotations

from mattehub.families.benchmark_export import BenchmarkExporter
from mattehub.families.p3m.layout import P3M_500, P3M_TRAIN


class P3mExport(BenchmarkExporter):
    benchmark = P3M_TRAIN
    layout = "P3M-10k train"
    families = ("p3m",)


class P3m500Export(BenchmarkExporter):
    benchmark = P3M_500
    layout = "P3M-10k validation"
    families = ("p3m",)
