"""``ppm-100``: the PPM-100 portraits and their alpha mattes, read in place from
``PPM-100.zip`` or its extracted folder (``recipes/benchmark.py`` says what each field holds
and how damaged files are counted; ``layout.py`` the folders)."""
from __future__ import annotations

from mattehub.contract.licence import LicenceTerms, Redistribution
from mattehub.families.ppm.layout import PPM_LAYOUT
from mattehub.families.ppm.meta import FIELDS, META_FEATURES
from mattehub.recipes.benchmark import BenchmarkRecipe

PPM_TERMS = LicenceTerms(
    "cc-by-nc-sa-4.0", "Creative Commons Attribution-NonCommercial-ShareAlike 4.0 (the mattes; "
    "the images: Flickr Creative Commons licences allowing commercial use and modification)",
    Redistribution.ALLOWED, False, "Zhanghan Ke, Jiayu Sun, Kaican Li, Qiong Yan, Rynson W.H. "
    "Lau. MODNet: Real-Time Trimap-Free Portrait Matting via Objective Decomposition. AAAI "
    "2022. Images from Flickr, credited to their authors.",
    "https://creativecommons.org/licenses/by-nc-sa/4.0/legalcode", ("PPM-100",))
"""The README's licence section (docs/licences.md): the strictest part, the mattes' CC BY-NC-SA
4.0, governs a sample that holds both."""


class PpmRecipe(BenchmarkRecipe):
    """PPM-100 image + alpha, read in place."""

    name = "ppm-100"
    family = "ppm"
    family_fields = FIELDS
    meta_features = META_FEATURES
    layout = PPM_LAYOUT
    summary = "PPM-100 photographic portraits (1080p-4K) with their alpha mattes"
    licence = "cc-by-nc-sa-4.0"
    terms = PPM_TERMS
