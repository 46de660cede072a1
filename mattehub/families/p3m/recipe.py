"""``p3m-10k`` (the training set: portraits and their alpha mattes) and ``p3m-500`` (the
validation sets P3M-500-P and P3M-500-NP, with their published trimaps), read in place from
``P3M-10k.zip`` or its extracted folder (``recipes/benchmark.py`` says what each field holds
and how damaged files are counted; ``layout.py`` the folders)."""
from __future__ import annotations

from mattehub.contract.licence import LicenceTerms, Redistribution
from mattehub.families.p3m.layout import P3M_500, P3M_TRAIN
from mattehub.families.p3m.meta import FIELDS, META_FEATURES
from mattehub.recipes.benchmark import BenchmarkRecipe

P3M_TERMS = LicenceTerms(
    "p3m-10k-agreement", "P3M-10k Dataset Release Agreement (labelled MIT License by the authors)",
    Redistribution.UNKNOWN, None, "Jizhizi Li, Sihan Ma, Jing Zhang, Dacheng Tao. "
    "Privacy-Preserving Portrait Matting. ACM Multimedia 2021.",
    "https://jizhizili.github.io/files/p3m_dataset_agreement/P3M-10k_Dataset_Release_Agreement.pdf",
    ("P3M-10k",))
"""Access needs the authors' release agreement (docs/licences.md): until its terms are read,
redistribution is recorded as unknown, so ``mattehub push`` keeps the repo private unless told."""


class P3mRecipe(BenchmarkRecipe):
    """P3M-10k train: face-blurred image + alpha, read in place."""

    name = "p3m-10k"
    family = "p3m"
    family_fields = FIELDS
    meta_features = META_FEATURES
    layout = P3M_TRAIN
    summary = "P3M-10k face-blurred portraits with their alpha mattes (training set)"
    licence = "other"
    terms = P3M_TERMS


class P3m500Recipe(P3mRecipe):
    """P3M-500-P / P3M-500-NP: image + alpha + published trimap, read in place."""

    name = "p3m-500"
    layout = P3M_500
    summary = "P3M-10k validation sets (face-blurred P3M-500-P, not blurred P3M-500-NP) with trimaps"
