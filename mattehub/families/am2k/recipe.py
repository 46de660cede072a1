"""``am-2k`` (the training set: animal images and their alpha mattes) and
``am-2k-validation`` (the 200 validation images with their published trimaps), read in place
from ``AM-2k.zip`` or its extracted folder (``recipes/benchmark.py`` says what each field
holds and how damaged files are counted; ``layout.py`` the folders)."""
from __future__ import annotations

from mattehub.contract.licence import LicenceTerms, Redistribution
from mattehub.families.am2k.layout import AM2K_TRAIN, AM2K_VALIDATION
from mattehub.families.am2k.meta import FIELDS, META_FEATURES
from mattehub.recipes.benchmark import BenchmarkRecipe

AM2K_TERMS = LicenceTerms(
    "am-2k-agreement", "AM-2k Dataset Release Agreement (labelled MIT License by the authors)",
    Redistribution.UNKNOWN, None, "Jizhizi Li, Jing Zhang, Stephen J. Maybank, Dacheng Tao. "
    "Bridging Composite and Real: Towards End-to-end Deep Image Matting. IJCV 2022.",
    "https://jizhizili.github.io/files/gfm_datasets_agreements/AM-2k_Dataset_Release_Agreement.pdf",
    ("AM-2k",))
"""Access needs the authors' release agreement (docs/licences.md): until its terms are read,
redistribution is recorded as unknown, so ``mattehub push`` keeps the repo private unless told."""


class Am2kRecipe(BenchmarkRecipe):
    """AM-2k train: animal image + alpha, read in place."""

    name = "am-2k"
    family = "am2k"
    family_fields = FIELDS
    meta_features = META_FEATURES
    layout = AM2K_TRAIN
    summary = "AM-2k animal images with their alpha mattes (training set)"
    licence = "other"
    terms = AM2K_TERMS


class Am2kValidationRecipe(Am2kRecipe):
    """AM-2k validation: image + alpha + published trimap, read in place."""

    name = "am-2k-validation"
    layout = AM2K_VALIDATION
    summary = "AM-2k validation set: animal images, alpha mattes and published trimaps"
