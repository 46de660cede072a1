"""Hub-mirror Parquet trees for the tests, written with pyarrow alone (not with mattehub, nor
with its demo's stand-in), in the schema the published mirrors have (docs/sources.md): an
``image`` column of datasets Image structs ``{bytes, path}``, ``mask`` one such struct
(AIM-500) or a list of them (HIM-2K), and the mirrors' extra columns.

``write_him2k(folder, rows, ...)`` / ``write_aim500(folder, rows, ...)`` write one Parquet
file from ``rows`` (each a dict of the pictures to store) and return what they stored, so a
test compares the samples with the exact bytes.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

IMAGE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])


def jpeg(width: int, height: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=85)
    return out.getvalue()


def png(array: np.ndarray, mode: str = "L") -> bytes:
    out = io.BytesIO()
    Image.fromarray(array, mode).save(out, "PNG")
    return out.getvalue()


def matte(width: int, height: int, seed: int) -> np.ndarray:
    """A soft 8-bit matte: a ramp with a seed-dependent offset, values 0..255."""
    ramp = (np.arange(width)[None, :] * 255 // max(1, width - 1) + seed * 37) % 256
    return np.broadcast_to(ramp, (height, width)).astype(np.uint8).copy()


def write_him2k(path: Path, rows: list[dict], group_rows: int = 2,
                mask_column: str = "mask") -> None:
    """rows: ``{"name", "image": bytes, "masks": [bytes, ...], "subset"}``."""
    table = pa.table({
        "image": pa.array([{"bytes": r["image"], "path": f"{r['name']}.jpg"} for r in rows], IMAGE),
        mask_column: pa.array([[{"bytes": m, "path": None} for m in r["masks"]] for r in rows],
                              pa.list_(IMAGE)),
        "subset": pa.array([r["subset"] for r in rows])})
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, row_group_size=group_rows)


def write_aim500(path: Path, rows: list[dict], group_rows: int = 2) -> None:
    """rows: ``{"name", "image": bytes, "mask": bytes, "category", "type"}``; the image's
    ``path`` is left null (so names come from ``image_name``)."""
    table = pa.table({
        "image": pa.array([{"bytes": r["image"], "path": None} for r in rows], IMAGE),
        "mask": pa.array([{"bytes": r["mask"], "path": None} for r in rows], IMAGE),
        "category": pa.array([r["category"] for r in rows]),
        "type": pa.array([r["type"] for r in rows]),
        "image_name": pa.array([r["name"] for r in rows])})
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, row_group_size=group_rows)


def him_rows(count: int = 5) -> list[dict]:
    """``count`` HIM-2K rows of 40x30 .. images with 1-3 instances, comp then natural."""
    rows = []
    for k in range(count):
        width, height = 40 + 4 * k, 30 + 2 * k
        masks = [png(matte(width, height, 10 * k + i)) for i in range(1 + k % 3)]
        rows.append({"name": f"him_{k:02d}", "image": jpeg(width, height, k), "masks": masks,
                     "subset": "comp" if k < 3 else "natural"})
    return rows


def aim_rows(count: int = 4) -> list[dict]:
    rows = []
    for k in range(count):
        width, height = 36 + 5 * k, 28 + 3 * k
        rows.append({"name": f"o_{k:08x}", "image": jpeg(width, height, 100 + k),
                     "mask": png(matte(width, height, k)), "category": ("animal", "plant")[k % 2],
                     "type": ("SO", "STM", "NS")[k % 3]})
    return rows
