"""The ``i-him`` demo, on the HHM-style stand-ins of ``mattehub.families.standins``."""
from __future__ import annotations

from pathlib import Path

from mattehub.families.demo import DemoBuild, FamilyDemo
from mattehub.families.image_him.options import ImageHimOptions
from mattehub.families.image_him.recipe import ImageHimRecipe
from mattehub.families.standins import make_hhm_sources

DEMO_SAMPLES = 48


def demo(sources_root: Path, out: Path) -> FamilyDemo:
    """The ``i-him`` demo: 48 samples synthesised from the HHM stand-ins, in parallel."""
    sources = make_hhm_sources(sources_root / "hhm-demo")
    options = ImageHimOptions(image_root=str(sources.image_root), bg_root=str(sources.bg_root),
                              invalid_names=str(sources.invalid_names))
    return FamilyDemo(
        builds=(DemoBuild(ImageHimRecipe(options, seed=0), num_samples=DEMO_SAMPLES, parallel=True),),
        load_lines=(f"ds = load_dataset({str(out)!r}, 'i-him', split='train', streaming=True)",
                    "ds = load_dataset({wds}, 'i-him-wds', split='train', streaming=True)",
                    f"import mattehub; ds = load_dataset('mattehub', 'i-him', data_dir={str(out)!r}, "
                    f"split='train', streaming=True)"))
