"""``i-him``: image human-instance-matting composites, the way I-HIM50K was made.

Per sample id (docs/sources.md, 'I-HIM50K synthesis'): choose 2-4 distinct valid foregrounds and one
background; output size = background size; crop each foreground to its matte's content,
scale it to U(0.5, 0.9) x the background height, and place the instances in order at a
uniform position fully inside the canvas (3 tries each). A later instance occludes the
earlier ones; a try is refused if an earlier instance would keep < 70 % of its alpha mass,
and an instance that fails every try (or is wider than the canvas) is dropped and counted.
A sample whose union matte is empty is re-drawn with the next attempt seed.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from mattehub.contract import codecs
from mattehub.contract.schema import IMAGE, IMAGE_LIST, META, FieldSpec, Schema
from mattehub.core.errors import SourceError
from mattehub.core.rng import sample_rng
from mattehub.contract.sample import EncodedSample, Outcome, sample_key
from mattehub.contract.licence import LicenceTerms, Redistribution
from mattehub.inputs.backgrounds import MIN_BACKGROUND_SIDE, scan_backgrounds
from mattehub.families.image_him.sources import ImageHimSources, image_root, scan_foregrounds
from mattehub.inputs.listing import skip_lines
from mattehub.recipes.base import Recipe
from mattehub.recipes.outcomes import attempts
from mattehub.families.him_meta import IMAGE_HIM_META as META_FEATURES
from mattehub.families.image_him.meta import FIELDS
from mattehub.families.image_him.synth import Synthesis, synthesise


I_HIM_TERMS = LicenceTerms(
    "cc-by-nc-4.0", "Creative Commons Attribution-NonCommercial 4.0 (as the MaGGIe release)",
    Redistribution.ALLOWED, False, "Chuong Huynh, Seoung Wug Oh, Abhinav Shrivastava, "
    "Joon-Young Lee. MaGGIe: Masked Guided Gradual Human Instance Matting. CVPR 2024; and "
    "the HHM and BG-20K sources.", "https://huggingface.co/datasets/chuonghm/MaGGIe-HIM",
    ("HHM foregrounds", "BG-20K backgrounds"))
"""Composites of the sources I-HIM50K was made from, which MaGGIe publishes under CC BY-NC
4.0; they inherit their sources' terms as well (docs/licences.md)."""


class ImageHimRecipe(Recipe):
    """Synthesised image HIM composites written straight to shards."""

    name = "i-him"
    family = "image-him"
    family_fields = FIELDS
    summary = "Image human-instance-matting composites (I-HIM50K algorithm)"
    licence = "cc-by-nc-4.0"
    terms = I_HIM_TERMS

    def prepare(self) -> dict:
        """Scan once, with ``image_root`` normalised to the folder holding ``images/`` (the
        upstream ``.../images`` form is accepted)."""
        if self.sources is None:
            self.options = replace(self.options, image_root=str(image_root(Path(self.options.image_root))))
        return super().prepare()

    def scan_sources(self) -> tuple[ImageHimSources, dict]:
        opts = self.options
        invalid = Path(opts.invalid_names) if opts.invalid_names else None
        fg_scan = scan_foregrounds(Path(opts.image_root), invalid)
        bg_scan = scan_backgrounds(Path(opts.bg_root))
        sources = ImageHimSources(tuple(fg_scan.foregrounds), tuple(bg_scan.backgrounds))
        if len(sources.foregrounds) < opts.min_instances:
            raise SourceError(opts.image_root, f"has {len(sources.foregrounds)} usable foregrounds, "
                              f"i-him needs at least {opts.min_instances}; "
                              f"{len(fg_scan.skipped)} skipped:{skip_lines(fg_scan.skipped)}")
        if not sources.backgrounds:
            raise SourceError(opts.bg_root, f"has no usable background image (each needs at least "
                              f"{MIN_BACKGROUND_SIDE} px on a side); {len(bg_scan.skipped)} "
                              f"skipped:{skip_lines(bg_scan.skipped)}")
        return sources, {"foregrounds": len(sources.foregrounds),
                         "backgrounds": len(sources.backgrounds),
                         "invalid_names_listed": fg_scan.invalid_listed,
                         "skipped_inputs": [s.as_dict() for s in fg_scan.skipped + bg_scan.skipped]}

    def schema(self) -> Schema:
        ext = self.options.image_format
        fields = [FieldSpec("image", IMAGE, ext, "the composite"),
                  FieldSpec("alpha", IMAGE, "png", "union matte"),
                  FieldSpec("instance_alphas", IMAGE_LIST, "png", "per-instance mattes"),
                  FieldSpec("bg", IMAGE, ext, "the background"),
                  FieldSpec("meta", META)]
        if self.options.with_fg:
            fields.insert(3, FieldSpec("fg", IMAGE_LIST, ext, "per-instance foregrounds"))
        return Schema(self.name, self.family, tuple(fields), META_FEATURES, self.family_fields)

    def make(self, index: int) -> Outcome:
        """Up to ``max_attempts`` composites, each from its own attempt seed; an attempt
        whose union matte is empty is rejected and the next one drawn."""
        def attempt(number: int, events: list[dict]) -> EncodedSample | str:
            result = synthesise(self.options, self.sources, sample_rng(self.name, self.seed, index, number))
            events.extend(result.events)  # an attempt that raised records only its bad input
            return self._encode(index, number, result) if result.ok else "empty union matte"

        tries = self.options.max_attempts
        return attempts(index, tries, attempt, f"no valid composite in {tries} attempts")

    def _encode(self, index: int, attempt: int, result: Synthesis) -> EncodedSample:
        opts, rgb = self.options, self._encode_rgb
        fields = {"image": rgb(result.image), "alpha": codecs.encode_png(result.union),
                  "instance_alphas": [codecs.encode_png(a) for a in result.instance_alphas]}
        if opts.with_fg:
            fields["fg"] = [rgb(fg) for fg in result.foregrounds]
        fields["bg"] = self._background_bytes(result)
        fields["meta"] = dict(result.meta, recipe=self.name, seed=self.seed, index=index,
                              attempt=attempt, image_format=opts.image_format,
                              jpeg_quality=opts.jpeg_quality)
        return EncodedSample(index, sample_key(index), fields)

    def _background_bytes(self, result: Synthesis) -> bytes:
        """The source file itself when it is an upright RGB JPEG and the output is JPEG
        (no second lossy pass, no time spent), else the decoded background re-encoded."""
        data = result.bg_bytes
        if self.options.image_format == "jpg" and codecs.is_upright_rgb_jpeg(data):
            return data
        return self._encode_rgb(result.background)

    def _encode_rgb(self, array: np.ndarray) -> bytes:
        return codecs.encode_rgb(array, self.options.image_format, self.options.jpeg_quality)
