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

import argparse
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from mattehub.contract import codecs
from mattehub.contract.schema import IMAGE, IMAGE_LIST, META, FieldSpec, Schema
from mattehub.core.errors import BuildError, SourceError
from mattehub.core.rng import sample_rng
from mattehub.contract.sample import EncodedSample, Outcome, sample_key
from mattehub.options.argtypes import int_in
from mattehub.inputs.backgrounds import MIN_BACKGROUND_SIDE, scan_backgrounds
from mattehub.families.image_him.sources import ImageHimSources, image_root, scan_foregrounds
from mattehub.inputs.listing import skip_lines
from mattehub.recipes.base import Recipe
from mattehub.recipes.outcomes import attempts
from mattehub.families.him_meta import IMAGE_HIM_META as META_FEATURES
from mattehub.families.image_him.synth import Synthesis, synthesise


@dataclass(frozen=True)
class ImageHimOptions:
    """Options of the ``i-him`` recipe (defaults reproduce the release's algorithm)."""

    image_root: str
    """Folder holding ``images/`` and ``alphas/`` (HHM layout)."""
    bg_root: str
    """Folder of background images (BG-20K layout: any tree of JPEG/PNG files)."""
    invalid_names: str | None = None
    """``invalid_him.txt``: image file names to leave out, one per line."""
    min_instances: int = 2
    max_instances: int = 4
    min_height: float = 0.5
    """Instance height as a fraction of the background height is U(min_height, max_height)."""
    max_height: float = 0.9
    placement_tries: int = 3
    min_visible: float = 0.7
    """An earlier instance must keep at least this fraction of its alpha mass."""
    max_attempts: int = 3
    """Attempts per sample id before it is recorded as skipped."""
    image_format: str = "jpg"
    jpeg_quality: int = codecs.DEFAULT_JPEG_QUALITY
    with_fg: bool = True
    """Store each instance's placed foreground (RGB, canvas size, zero outside its matte)."""


class ImageHimRecipe(Recipe):
    """Synthesised image HIM composites written straight to shards."""

    name = "i-him"
    family = "image-him"
    summary = "Image human-instance-matting composites (I-HIM50K algorithm)"
    licence = "cc-by-nc-4.0"
    options_class = ImageHimOptions
    path_options = ("image_root", "bg_root", "invalid_names")
    cli_options = ("image_root", "bg_root", "invalid_names", "image_format", "jpeg_quality", "no_fg")
    data_dir_option = "image_root"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("i-him sources and options")
        group.add_argument("--image-root", help="folder with images/ and alphas/ (HHM layout)")
        group.add_argument("--bg-root", help="folder of background images (i-him, surreal-alpha, overlay-depth; "
                                             "e.g. BG-20K train)")
        group.add_argument("--image-format", choices=("jpg", "png"), default="jpg",
                           help="encoding of RGB fields (default: jpg)")
        group.add_argument("--jpeg-quality", type=int_in(1, 100), default=codecs.DEFAULT_JPEG_QUALITY,
                           help="JPEG quality of RGB fields, 1-100 (i-him, v-him, surreal-alpha, overlay-depth; default: %(default)s)")
        group.add_argument("--no-fg", action="store_true",
                           help="do not store per-instance foregrounds (smaller shards)")

    @classmethod
    def options_from_args(cls, args: argparse.Namespace) -> ImageHimOptions:
        if not args.image_root or not args.bg_root:
            raise BuildError("i-him needs --image-root (with images/ and alphas/) and --bg-root")
        return ImageHimOptions(image_root=args.image_root, bg_root=args.bg_root,
                               invalid_names=args.invalid_names, image_format=args.image_format,
                               jpeg_quality=args.jpeg_quality, with_fg=not args.no_fg)

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
        return Schema(self.name, self.family, tuple(fields), META_FEATURES)

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
