"""Stand-in AIM-500 trees, made independently of mattehub (``benchmark_tree.py``).

The published layout (JizhiziLi/AIM ``core/README.md``): ``AIM-500/{original,mask,trimap}``
with ``aim_category_type.json`` (stem -> type and category, read by AIM's ``core/test.py``)
at its root; plus ``usr/`` a reader must leave alone. ``under`` puts the folders one level
down (``AIM-500/validation/...``, an older config's paths), the JSON staying at the root.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from benchmark_tree import Tree, write_sample
from benchmark_tree import zip_tree as zip_any

ENTRIES = (("o_e92b90fc", 93, 71, "STM", "transparent"), ("o_0b7228ec", 80, 104, "SO", "animal"),
           ("o_87e77b32", 66, 90, "NS", "plant"))
"""(name, width, height, type, category), in the order written."""
LISTED = {name: {"type": kind, "category": category} for name, _, _, kind, category in ENTRIES}


class Aim500Tree(Tree):
    under = ""

    def entries(self, split: str) -> tuple[tuple[str, int, int], ...]:
        return tuple(entry[:3] for entry in ENTRIES)

    def paths(self, split: str, name: str) -> dict[str, str | None]:
        return {field: f"{self.under}{folder}/{name}.{ext}" for field, folder, ext in
                (("image", "original", "jpg"), ("alpha", "mask", "png"), ("trimap", "trimap", "png"))}


def make_aim500_tree(root: Path, seed: int = 0, under: str = "") -> Aim500Tree:
    rng = np.random.default_rng(seed)
    tree = Aim500Tree(Path(root), "AIM-500")
    tree.under = under
    for number, (name, width, height, _, _) in enumerate(ENTRIES):
        write_sample(tree, tree.paths("test", name), number, width, height, rng)
        tree.write(f"{under}usr/{name}.png", tree.files[tree.paths("test", name)["alpha"]])
    tree.write("aim_category_type.json", json.dumps(LISTED).encode())
    return tree


def zip_tree(tree: Aim500Tree, out: Path) -> Path:
    return zip_any(tree, out, "AIM-500.zip")
