"""AM-2k's published folders: how ``am-2k`` and ``am-2k-validation`` are exported
(``AM-2k/train/{original,mask}``, ``AM-2k/validation/{original,mask,trimap}``, see
``layout.py``); images, mattes and trimaps are the stored bytes."""
from __future__ import annotations

from mattehub.families.am2k.layout import AM2K_TRAIN, AM2K_VALIDATION
from mattehub.families.benchmark_export import BenchmarkExporter


class Am2kExport(BenchmarkExporter):
    benchmark = AM2K_TRAIN
    layout = "AM-2k train"
    families = ("am2k",)


class Am2kValidationExport(BenchmarkExporter):
    benchmark = AM2K_VALIDATION
    layout = "AM-2k validation"
    families = ("am2k",)
