"""Options of ``overlay-depth``: synthesis inputs, or ``data_dir`` (the original dataset)."""
from __future__ import annotations

from dataclasses import dataclass

from mattehub.options import groups
from mattehub.options.declare import Options, opt
from mattehub.options.values import comma_numbers, matching, numbers, text, whole

DEPTH_CHOICES = ("none", "exact")
"""``--depth`` values with a fixed meaning; anything else names a depth model."""


def _scales(value: object) -> str | None:
    if not isinstance(value, tuple) or any(not isinstance(v, float) for v in value):
        return "give a tuple of numbers such as (1.0, 0.5)"
    if not value or len(set(value)) != len(value) or any(not 0 < v <= 4 for v in value):
        return "give distinct scales in (0, 4]"
    return None


@dataclass(frozen=True)
class OverlayDepthOptions(Options):
    """Options of ``overlay-depth``: synthesis inputs, or ``data_dir`` (the original dataset)."""

    config = "overlay-depth"
    requires = "--bg-root and --fg-root (synthesis), or --data-dir (the original dataset)"

    data_dir: str | None = groups.data_dir(
        None, note="the original dataset's label_data.csv folder or Dataset.zip, read instead "
                   "of synthesising")
    bg_root: str | None = groups.bg_root()
    fg_root: str | None = opt(None, path=True, check=text, metavar="DIR",
                              help="folder of foreground cut-outs (RGBA PNG)")
    mask_root: str | None = opt(None, path=True, check=text, metavar="DIR",
                                help="folder of mask_<fg stem>.* files "
                                     "(default: each foreground's alpha > 0)")
    split: str = "train"
    size: int = opt(224, parse=int, check=whole(8, 4096), metavar="PX",
                    help="canvas side in pixels")
    scales: tuple[float, ...] = opt((1.0, 0.8, 0.6, 0.4), parse=comma_numbers, coerce=numbers,
                                    check=_scales, metavar="S,S,...",
                                    help="foreground scale factors")
    positions: int = opt(5, parse=int, check=whole(1), metavar="N",
                         help="random positions per scale")
    flip: bool = opt(True, flag="--no-flip",
                     help="leave out the horizontally flipped foreground")
    depth: str = opt("none", check=text, metavar="none|exact|MODEL",
                     coerce=lambda v: v.lower() if isinstance(v, str) and v.lower() in DEPTH_CHOICES else v,
                     help="no depth; exact (from --bg-depth-root); or a transformers depth "
                          "model, local folder or Hub id (needs mattehub[depth])")
    """``none``, ``exact``, or a depth model (local folder or Hub id)."""
    bg_depth_root: str | None = opt(None, path=True, check=text, metavar="DIR",
                                    help="--depth exact: a 16-bit PNG in "
                                         "millimetres per background, <bg stem>.png")
    device: str = opt("auto", check=matching(r"auto|cpu|cuda(:\d+)?", "auto, cpu, cuda or cuda:N"),
                      metavar="DEVICE",
                      help="--depth MODEL: auto (a GPU when there is one), cpu, cuda or cuda:N")
    depth_batch: int = opt(16, parse=int, check=whole(1), metavar="N",
                           help="--depth MODEL: images per forward pass")
    image_format: str = groups.image_format()
    jpeg_quality: int = groups.jpeg_quality()

    @property
    def depth_kind(self) -> str:
        return self.depth if self.depth in DEPTH_CHOICES else "model"

    def validate(self) -> None:
        """Either the original dataset or synthesis inputs; ``--depth exact`` with its maps."""
        if self.data_dir and (self.fg_root or self.bg_root):
            self.refuse("overlay-depth reads either the original dataset (data_dir=) or "
                        "synthesis inputs (bg_root=, fg_root=), not both",
                        "data_dir", "bg_root", "fg_root")
        if not self.data_dir and not (self.fg_root and self.bg_root):
            self.refuse("overlay-depth needs bg_root= and fg_root= (synthesis), or data_dir=: "
                        "a folder holding the original label_data.csv or Dataset.zip",
                        "bg_root", "fg_root", "data_dir")
        if self.depth == "exact" and not self.bg_depth_root:
            self.refuse("depth='exact' needs bg_depth_root=: a 16-bit PNG depth map in "
                        "millimetres per background, named like it (<bg stem>.png)",
                        "depth", "bg_depth_root")
        if self.bg_depth_root and self.depth != "exact":
            self.refuse("bg_depth_root= is only read with depth='exact'", "bg_depth_root", "depth")
