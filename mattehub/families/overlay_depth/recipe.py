"""``overlay-depth``: a foreground pasted on a background, its mask, and a depth map.

Two sources, one recipe (docs/format.md section 4):

* **synthesis** (``--bg-root``, ``--fg-root``, ``--mask-root``): the "Monocular Depth
  Estimation and Segmentation" recipe, 40 samples per (background, foreground) pair by
  default (``overlay_depth_synth`` has the id mapping and the pixel rules); depth ``none``,
  ``exact`` (from background depth maps) or a ``transformers`` model;
* **the original dataset** (``--data-dir`` holding ``label_data.csv`` or ``Dataset.zip``):
  read in place, one sample per csv row, bytes passed through (``overlay_depth_original``).
"""
from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

from mattehub.contract import codecs
from mattehub.options.argtypes import int_in, positive_int
from mattehub.contract.schema import IMAGE, META, FieldSpec, Schema
from mattehub.core.errors import BuildError
from mattehub.families.releases.specs import HUB_RELEASE
from mattehub.contract.sample import Outcome
from mattehub.recipes.base import Recipe
from mattehub.families.overlay_depth.meta import META_FEATURES
from mattehub.families.overlay_depth.original import OriginalRows, OriginalSource
from mattehub.families.overlay_depth.synth_source import SynthesisSource, SynthesisSources

DEPTH_CHOICES = ("none", "exact")
"""``--depth`` values with a fixed meaning; anything else names a depth model."""


def scales(text: str) -> tuple[float, ...]:
    """``--scales``: a comma list of factors in (0, 4], e.g. ``1.0,0.8,0.6,0.4``."""
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma list of numbers") from None
    if not values or any(not 0 < v <= 4 for v in values) or len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"{text!r}: give distinct scales in (0, 4]")
    return values


def device(text: str) -> str:
    """``--device``: auto, cpu, cuda or cuda:N."""
    if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", text):
        raise argparse.ArgumentTypeError(f"{text!r}: choose auto, cpu, cuda or cuda:N")
    return text


@dataclass(frozen=True)
class OverlayDepthOptions:
    """Options of ``overlay-depth``: synthesis inputs, or ``data_dir`` (the original dataset)."""

    data_dir: str | None = None
    bg_root: str | None = None
    fg_root: str | None = None
    mask_root: str | None = None
    split: str = "train"
    size: int = 224
    scales: tuple[float, ...] = (1.0, 0.8, 0.6, 0.4)
    positions: int = 5
    flip: bool = True
    depth: str = "none"
    """``none``, ``exact``, or a depth model (local folder or Hub id)."""
    bg_depth_root: str | None = None
    device: str = "auto"
    depth_batch: int = 16
    image_format: str = "jpg"
    jpeg_quality: int = codecs.DEFAULT_JPEG_QUALITY

    @property
    def depth_kind(self) -> str:
        return self.depth if self.depth in DEPTH_CHOICES else "model"


class OverlayDepthRecipe(Recipe):
    """Overlay + mask + depth samples, synthesised or read from the original dataset."""

    name = "overlay-depth"
    family = "overlay-depth"
    summary = "a foreground pasted on a square background, its mask and a depth map"
    licence = "other"
    options_class = OverlayDepthOptions
    path_options = ("data_dir", "bg_root", "fg_root", "mask_root", "bg_depth_root")
    cli_options = ("data_dir", "bg_root", "fg_root", "mask_root", "size", "scales", "positions",
                   "no_flip", "depth", "bg_depth_root", "device", "depth_batch", "image_format",
                   "jpeg_quality")

    def __init__(self, options: OverlayDepthOptions, seed: int) -> None:
        super().__init__(options, seed)
        self._maker: SynthesisSource | OriginalSource | None = None
        """What makes the samples from ``sources`` (holds a loaded depth model, decoded
        files): this process's own, rebuilt in a worker."""

    def __getstate__(self) -> dict:
        return dict(self.__dict__, _maker=None)  # each worker binds its own (and loads the model)

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group(
            "overlay-depth options (also --bg-root, --image-format, --jpeg-quality; --data-dir: "
            "the original dataset's label_data.csv folder or Dataset.zip, read instead of synthesising)")
        group.add_argument("--fg-root", help="overlay-depth: folder of foreground cut-outs (RGBA PNG)")
        group.add_argument("--mask-root", help="overlay-depth: folder of mask_<fg stem>.* files "
                                               "(default: each foreground's alpha > 0)")
        group.add_argument("--size", type=int_in(8, 4096), default=224,
                           help="overlay-depth: canvas side in pixels (default: %(default)s)")
        group.add_argument("--scales", type=scales, default=(1.0, 0.8, 0.6, 0.4),
                           help="overlay-depth: foreground scale factors (default: 1.0,0.8,0.6,0.4)")
        group.add_argument("--positions", type=positive_int, default=5,
                           help="overlay-depth: random positions per scale (default: %(default)s)")
        group.add_argument("--no-flip", action="store_true",
                           help="overlay-depth: leave out the horizontally flipped foreground")
        group.add_argument("--depth", default="none", metavar="none|exact|MODEL",
                           help="overlay-depth: no depth; exact (from --bg-depth-root); or a "
                                "transformers depth model, local folder or Hub id (needs "
                                "mattehub[depth]) (default: none)")
        group.add_argument("--bg-depth-root", help="overlay-depth --depth exact: a 16-bit PNG in "
                                                   "millimetres per background, <bg stem>.png")
        group.add_argument("--device", type=device, default="auto",
                           help="overlay-depth --depth MODEL: auto, cpu, cuda or cuda:N "
                                "(default: auto, a GPU when there is one)")
        group.add_argument("--depth-batch", type=positive_int, default=16,
                           help="overlay-depth --depth MODEL: images per forward pass (default: 16)")

    @classmethod
    def options_from_args(cls, args: argparse.Namespace) -> OverlayDepthOptions:
        original = args.data_dir not in (None, HUB_RELEASE)
        depth = args.depth.lower() if args.depth.lower() in DEPTH_CHOICES else args.depth
        if original and (args.fg_root or args.bg_root):
            raise BuildError("overlay-depth reads either the original dataset (--data-dir) or "
                             "synthesis inputs (--bg-root, --fg-root), not both")
        if not original and not (args.fg_root and args.bg_root):
            raise BuildError("overlay-depth needs --bg-root and --fg-root (synthesis), or "
                             "--data-dir: a folder holding the original label_data.csv or Dataset.zip")
        if depth == "exact" and not args.bg_depth_root:
            raise BuildError("--depth exact needs --bg-depth-root: a 16-bit PNG depth map in "
                             "millimetres per background, named like it (<bg stem>.png)")
        if args.bg_depth_root and depth != "exact":
            raise BuildError("--bg-depth-root is only read with --depth exact")
        return OverlayDepthOptions(
            data_dir=args.data_dir if original else None, bg_root=args.bg_root,
            fg_root=args.fg_root, mask_root=args.mask_root, split=args.split, size=args.size,
            scales=tuple(args.scales), positions=args.positions, flip=not args.no_flip,
            depth=depth, bg_depth_root=args.bg_depth_root, device=args.device,
            depth_batch=args.depth_batch, image_format=args.image_format,
            jpeg_quality=args.jpeg_quality)

    @classmethod
    def source_splits(cls, data_dir: str) -> list[str]:
        """The original dataset has one split, ``train`` (its csv is read once, when the
        recipe is prepared)."""
        return ["train"]

    @property
    def synthesised(self) -> bool:
        return self.options.data_dir is None

    def _new_maker(self) -> SynthesisSource | OriginalSource:
        maker = SynthesisSource if self.synthesised else OriginalSource
        return maker(self.options, self.name, self.seed)

    def scan_sources(self) -> tuple[SynthesisSources | OriginalRows, dict]:
        maker = self._new_maker()
        sources, report = maker.scan()
        self._maker = maker  # keeps the model loaded to check it
        return sources, report

    def maker(self) -> SynthesisSource | OriginalSource:
        """This process's sample maker, bound to ``sources`` (scanned first if need be)."""
        if self._maker is None:
            self._maker = self._new_maker().bind(self.scanned())
        return self._maker

    def available(self) -> int:
        return self.maker().available()

    def default_num_samples(self) -> int:
        return self.available()

    def schema(self) -> Schema:
        """The fields depend on the sources (a depth field or not, the original's file
        formats), so asking for the schema scans them if that has not happened yet."""
        fields = tuple(FieldSpec(name, IMAGE, ext, description)
                       for name, ext, description in self.maker().fields())
        return Schema(self.name, self.family, fields + (FieldSpec("meta", META),), META_FEATURES)

    def describe(self) -> dict:
        """As the base, with a local depth model folder recorded by its name only (a Hub
        id as given)."""
        from mattehub.families.overlay_depth.depth_model import display_name  # no torch import until a model is loaded

        described = super().describe()
        if self.options.depth_kind == "model":
            described["options"]["depth"] = display_name(self.options.depth)
        return described

    def task_ranges(self, start: int, stop: int):
        return self.maker().task_ranges(start, stop)

    def make(self, index: int) -> Outcome:
        return self.maker().make_many(range(index, index + 1))[0]

    def make_many(self, indices: range) -> list[Outcome]:
        return self.maker().make_many(indices)

    def source_roots(self) -> list[str]:
        roots = super().source_roots()
        if self.options.depth_kind == "model" and Path(self.options.depth).exists():
            roots.append(self.options.depth)
        return roots
