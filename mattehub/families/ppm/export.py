"""PPM-100's folders: how ``ppm-100`` is exported (``PPM-100/image``, ``PPM-100/matte``, the
stored bytes: a matte published as JPEG comes back as the PNG it was stored as)."""
from __future__ import annotations

from mattehub.families.benchmark_export import BenchmarkExporter
from mattehub.families.ppm.layout import PPM_LAYOUT


class PpmExport(BenchmarkExporter):
    benchmark = PPM_LAYOUT
    layout = "PPM-100"
    families = ("ppm",)
