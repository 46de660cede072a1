"""Options of ``i-him`` (defaults reproduce the I-HIM50K algorithm)."""
from __future__ import annotations

from dataclasses import dataclass

from mattehub.options import groups
from mattehub.options.declare import Options, opt
from mattehub.options.values import text


@dataclass(frozen=True)
class ImageHimOptions(Options):
    """Options of the ``i-him`` recipe (defaults reproduce the release's algorithm)."""

    config = "i-him"
    needs = ("image_root= (the HHM folder with images/ and alphas/) and bg_root= (a folder "
             "of background images)")

    image_root: str = opt(required="the HHM folder with images/ and alphas/", path=True,
                          source=True, check=text, metavar="HHM",
                          help="folder with images/ and alphas/ (HHM layout); "
                               "load_dataset's data_dir=")
    """Folder holding ``images/`` and ``alphas/`` (HHM layout)."""
    bg_root: str = groups.bg_root(required="a folder of background images")
    """Folder of background images (BG-20K layout: any tree of JPEG/PNG files)."""
    invalid_names: str | None = groups.invalid_names()
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
    image_format: str = groups.image_format()
    jpeg_quality: int = groups.jpeg_quality()
    with_fg: bool = opt(True, flag="--no-fg",
                        help="do not store per-instance foregrounds (smaller shards)")
    """Store each instance's placed foreground (RGB, canvas size, zero outside its matte)."""
