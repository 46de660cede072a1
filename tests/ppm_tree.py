"""Stand-in PPM-100 trees, made independently of mattehub (``benchmark_tree.py``).

The layout public loaders of the download read: ``PPM-100/image/*.jpg`` and
``PPM-100/matte/*`` (the authors' README states neither); ``matte_ext`` writes the mattes as
PNG (default) or JPEG. Names are written out of order.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from benchmark_tree import Tree, write_sample
from benchmark_tree import zip_tree as zip_any

ENTRIES = (("11295", 120, 90), ("10023", 72, 96), ("10488", 100, 75))


class PpmTree(Tree):
    matte_ext = "png"

    def entries(self, split: str) -> tuple[tuple[str, int, int], ...]:
        return ENTRIES

    def paths(self, split: str, name: str) -> dict[str, str | None]:
        return {"image": f"image/{name}.jpg", "alpha": f"matte/{name}.{self.matte_ext}",
                "trimap": None}


def make_ppm_tree(root: Path, seed: int = 0, matte_ext: str = "png") -> PpmTree:
    rng = np.random.default_rng(seed)
    tree = PpmTree(Path(root), "PPM-100")
    for number, (name, width, height) in enumerate(ENTRIES):
        write_sample(tree, PpmTree.paths(tree, "test", name), number, width, height, rng)
    if matte_ext != "png":
        for name, _, _ in ENTRIES:
            png = tree.files[f"matte/{name}.png"]
            tree.remove(f"matte/{name}.png")
            buffer = io.BytesIO()
            Image.open(io.BytesIO(png)).save(buffer, "JPEG", quality=95)
            tree.write(f"matte/{name}.{matte_ext}", buffer.getvalue())
        tree.matte_ext = matte_ext
    return tree


def zip_tree(tree: PpmTree, out: Path) -> Path:
    return zip_any(tree, out, "PPM-100.zip")
