"""Stand-in P3M-10k trees, made independently of mattehub (``benchmark_tree.py``).

The published layout (ViTAE-Transformer/P3M-Net README): ``P3M-10k/train/blurred_image/*.jpg``
+ ``train/mask/*.png``; ``P3M-10k/validation/P3M-500-P/{blurred_image,mask,trimap}`` and
``validation/P3M-500-NP/{original_image,mask,trimap}``; plus folders a reader must leave alone
(``train/fg``, ``validation/P3M-500-P/facemask``: later and optional downloads). Names are
written out of order.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmark_tree import Tree, encoded, write_sample
from benchmark_tree import zip_tree as zip_any

SETS = {
    "train": ("train", "blurred_image", (("p_9c0ffee1", 97, 130), ("p_0a1b2c3d", 120, 88),
                                         ("p_5e5e5e5e", 64, 71))),
    "p3m_500_p": ("validation/P3M-500-P", "blurred_image", (("p_d4fd9815", 90, 101),
                                                           ("p_4dfffce8", 77, 95))),
    "p3m_500_np": ("validation/P3M-500-NP", "original_image", (("p_b4a3c2d1", 110, 84),
                                                              ("p_07141906", 85, 99))),
}
"""mattehub split -> (folder below P3M-10k/, image folder, (name, width, height) as written)."""
PUBLISHED = {"train": ("train", True), "p3m_500_p": ("P3M-500-P", True),
             "p3m_500_np": ("P3M-500-NP", False)}
"""mattehub split -> (published set, face-blurred)."""


def paths(split: str, name: str) -> dict[str, str | None]:
    folder, image_folder, _ = SETS[split]
    return {"image": f"{folder}/{image_folder}/{name}.jpg", "alpha": f"{folder}/mask/{name}.png",
            "trimap": None if split == "train" else f"{folder}/trimap/{name}.png"}


class P3mTree(Tree):
    def entries(self, split: str) -> tuple[tuple[str, int, int], ...]:
        return SETS[split][2]

    def paths(self, split: str, name: str) -> dict[str, str | None]:
        return paths(split, name)


def make_p3m_tree(root: Path, seed: int = 0) -> P3mTree:
    rng = np.random.default_rng(seed)
    tree = P3mTree(Path(root), "P3M-10k")
    for split, (folder, _, entries) in SETS.items():
        for number, (name, width, height) in enumerate(entries):
            write_sample(tree, paths(split, name), number, width, height, rng)
            if split == "train":
                tree.write(f"{folder}/fg/{name}.jpg", tree.files[paths(split, name)["image"]])
            if split == "p3m_500_p":
                tree.write(f"{folder}/facemask/{name}.png", encoded(np.zeros((4, 4), np.uint8), "PNG"))
    return tree


def zip_tree(tree: P3mTree, out: Path) -> Path:
    """``out/P3M-10k.zip`` holding ``P3M-10k/``; returns ``out``."""
    return zip_any(tree, out, "P3M-10k.zip")
