"""``aim-500``: the AIM-500 test set (natural images, alpha mattes, published trimaps, and each
image's type and category), read in place from ``AIM-500.zip`` or its extracted folder
(``recipes/benchmark.py`` says what each field holds and how damaged files are counted;
``layout.py`` the folders)."""
from __future__ import annotations

import json

from mattehub.contract.licence import LicenceTerms, Redistribution
from mattehub.core.errors import SourceError
from mattehub.families.aim500.layout import AIM500_LAYOUT, CATEGORIES
from mattehub.families.aim500.meta import FIELDS, META_FEATURES
from mattehub.inputs.pairing import Item
from mattehub.recipes.benchmark import BenchmarkRecipe, BenchmarkScan

AIM500_TERMS = LicenceTerms(
    "aim-500-agreement", "AIM-500 Dataset Release Agreement (labelled MIT License by the authors)",
    Redistribution.UNKNOWN, None, "Jizhizi Li, Jing Zhang, Dacheng Tao. Deep Automatic Natural "
    "Image Matting. IJCAI 2021.",
    "https://jizhizili.github.io/files/aim_dataset_agreement/AIM-500_Dataset_Release_Agreement.pdf",
    ("AIM-500",))
"""Access needs the authors' release agreement (docs/licences.md): until its terms are read,
redistribution is recorded as unknown, so ``mattehub push`` keeps the repo private unless told."""


def categories(scan: BenchmarkScan) -> dict:
    """stem -> {"type", "category"} from ``aim_category_type.json`` ({} when it is missing);
    SourceError naming it when it is not such a JSON object."""
    data = scan.side.get(CATEGORIES)
    if data is None:
        return {}
    try:
        listed = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(CATEGORIES, f"is not valid JSON ({exc})") from None
    if not isinstance(listed, dict) or not all(isinstance(v, dict) for v in listed.values()):
        raise SourceError(CATEGORIES, "is not an object of {image name: {type, category}}")
    return listed


class Aim500Recipe(BenchmarkRecipe):
    """AIM-500 image + alpha + published trimap, with type and category, read in place."""

    name = "aim-500"
    family = "aim500"
    family_fields = FIELDS
    meta_features = META_FEATURES
    layout = AIM500_LAYOUT
    summary = "AIM-500 natural images (7 categories, 3 types) with alpha mattes and trimaps"
    licence = "other"
    terms = AIM500_TERMS

    def scan_sources(self):
        """As every benchmark's, and the category list checked (a clear error when it is
        not one)."""
        found, report = super().scan_sources()
        listed = categories(found)
        return found, dict(report, categorised=sum(item.name in listed for item in found.items))

    def item_meta(self, item: Item) -> dict:
        if getattr(self, "_categories", None) is None:
            self._categories = categories(self.sources)
        entry = self._categories.get(item.name, {})
        return {"type": entry.get("type"), "category": entry.get("category")}
