"""Stand-in trees in the layout of the original "Monocular Depth Estimation and Segmentation"
dataset, made independently of mattehub (PIL and the Info-ZIP ``zip`` tool only).

Files are written as upstream wrote them: JPEG overlay and mask at quality 50 (masks as grey
JPEGs, so not binary), bg at 60, depth (grey) at 85, under ``Dataset/bg<B>/fg_<F>/<kind>/<k>.jpg``
and ``Dataset/bg/bg<B>.jpg``; ``label_data.csv`` has no header, ``;`` separators and every
field quoted. Options add malformed lines and missing files, and the maker records what a
correct reader must find: the usable rows in csv order and the skipped line numbers.
"""
from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

ZIP = shutil.which("zip")
KINDS = ("overlay", "mask", "depth")
QUALITY = {"overlay": 50, "mask": 50, "bg": 60, "depth": 85}

# Malformed lines, with a fragment of the reason a reader must give for each.
MALFORMED = [
    (b'"Dataset/bg/bg1.jpg";"Dataset/bg1/fg_1/overlay/1.jpg";"Dataset/bg1/fg_1/mask/1.jpg"',
     "has 3 fields"),
    (b'"Dataset/bg/bg1.jpg";"Dataset/bg1/fg_1/overlay/1.jpg";"";"Dataset/bg1/fg_1/depth/1.jpg"',
     "empty mask field"),
    (b'"";"Dataset/bg1/fg_1/overlay/1.jpg";"Dataset/bg1/fg_1/mask/1.jpg";""', "empty bg field"),
    (b'"Dataset/bg/bg1.jpg";"";"Dataset/bg1/fg_1/mask/1.jpg";""', "empty overlay field"),
    (b'"/etc/passwd";"Dataset/bg1/fg_1/overlay/1.jpg";"Dataset/bg1/fg_1/mask/1.jpg";""',
     "is absolute"),
    (b'"Dataset/bg/bg1.jpg";"Dataset/../../secret.jpg";"Dataset/bg1/fg_1/mask/1.jpg";""',
     "'..' component"),
    (b'"Dataset/bg/bg\xff1.jpg";"Dataset/bg1/fg_1/overlay/1.jpg";"Dataset/bg1/fg_1/mask/1.jpg";""',
     "not UTF-8"),
]


@dataclass
class OriginalTree:
    """A written tree and what a reader must make of it."""

    root: Path
    """The folder holding ``label_data.csv`` and ``Dataset/``."""
    rows: list[tuple[int, str, str, str, str]] = field(default_factory=list)
    """Usable rows in csv order: (line, bg, overlay, mask, depth)."""
    skipped: dict[int, str] = field(default_factory=dict)
    """Line -> reason fragment, for malformed lines and rows with missing files."""
    files: dict[str, bytes] = field(default_factory=dict)
    """Every data file written (relative path -> bytes), missing ones excluded."""

    @property
    def csv(self) -> Path:
        return self.root / "label_data.csv"


def jpeg(rng: np.random.Generator, size: int, quality: int, grey: bool) -> bytes:
    """A noise JPEG (noise, so a zip of the tree does not shrink below its split size)."""
    shape = (size, size) if grey else (size, size, 3)
    image = Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), "L" if grey else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def make_original_tree(root: Path, num_bgs: int = 2, num_fgs: int = 2, ks=(1, 7, 21, 40),
                       size: int = 16, malformed: bool = False, missing: tuple[str, ...] = (),
                       empty_depth: tuple[str, ...] = (), bom: bool = False, crlf: bool = False,
                       blank_lines: bool = False, seed: int = 0) -> OriginalTree:
    """Write the tree under ``root``. ``missing``: relative paths listed in the csv but not
    written; ``empty_depth``: overlay paths whose row has an empty depth field (and no depth
    file); ``malformed``: add the MALFORMED lines after the first data line."""
    rng = np.random.default_rng(seed)
    tree = OriginalTree(root)
    root.mkdir(parents=True, exist_ok=True)
    for b in range(1, num_bgs + 1):
        tree.files[f"Dataset/bg/bg{b}.jpg"] = jpeg(rng, size, QUALITY["bg"], grey=False)
    entries = []
    for b in range(1, num_bgs + 1):
        for f in range(1, num_fgs + 1):
            for k in ks:
                paths = {kind: f"Dataset/bg{b}/fg_{f}/{kind}/{k}.jpg" for kind in KINDS}
                for kind, path in paths.items():
                    if kind == "depth" and paths["overlay"] in empty_depth:
                        paths[kind] = ""
                        continue
                    tree.files[path] = jpeg(rng, size, QUALITY[kind], grey=kind != "overlay")
                entries.append((f"Dataset/bg/bg{b}.jpg", paths["overlay"], paths["mask"],
                                paths["depth"]))
    lines = _csv_lines(tree, entries, malformed, set(missing), blank_lines)
    for rel, data in tree.files.items():
        if rel not in missing:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
    tree.files = {rel: data for rel, data in tree.files.items() if rel not in missing}
    end = b"\r\n" if crlf else b"\n"
    tree.csv.write_bytes((b"\xef\xbb\xbf" if bom else b"") + end.join(lines) + end)
    return tree


def _csv_lines(tree: OriginalTree, entries: list[tuple[str, str, str, str]], malformed: bool,
               missing: set[str], blank_lines: bool) -> list[bytes]:
    """The csv lines (no line ends), filling in the tree's expected rows and skips."""
    lines: list[bytes] = []
    for number, entry in enumerate(entries):
        if blank_lines and number == 1:
            lines.append(b"")
        lines.append(";".join(f'"{value}"' for value in entry).encode())
        gone = [path for path in entry if path in missing]
        if gone:
            tree.skipped[len(lines)] = gone[0]
        else:
            tree.rows.append((len(lines), *entry))
        if malformed and number == 0:
            for line, reason in MALFORMED:
                lines.append(line)
                tree.skipped[len(lines)] = reason
    return lines


def zip_dataset(tree: OriginalTree, dest: Path, csv: str = "beside",
                split: str | None = None) -> Path:
    """``dest/Dataset.zip`` made with Info-ZIP (``zip -r -q``, ``-s split`` for parts
    ``.z01``...). ``csv``: "beside" copies the csv next to the zip, "inside" stores it at
    the zip's root, "nested" zips the tree's folder itself (csv one folder down)."""
    dest.mkdir(parents=True, exist_ok=True)
    archive = dest / "Dataset.zip"
    flags = ["-s", split] if split else []
    if csv == "nested":
        names, cwd = [tree.root.name], tree.root.parent
    else:
        names, cwd = ["Dataset"] + (["label_data.csv"] if csv == "inside" else []), tree.root
    subprocess.run([ZIP, "-r", "-q", *flags, str(archive), *names], cwd=cwd, check=True)
    if csv == "beside":
        shutil.copyfile(tree.csv, dest / "label_data.csv")
    return archive
