"""AIM-500's published folders: how ``aim-500`` is exported (``AIM-500/{original,mask,trimap}``,
the stored bytes). ``aim_category_type.json`` is not written: it is not part of a sample
(``meta.type`` and ``meta.category`` hold what it says)."""
from __future__ import annotations

from mattehub.families.aim500.layout import AIM500_LAYOUT
from mattehub.families.benchmark_export import BenchmarkExporter


class Aim500Export(BenchmarkExporter):
    benchmark = AIM500_LAYOUT
    layout = "AIM-500"
    families = ("aim500",)
