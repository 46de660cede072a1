"""Tiny Hub-mirror stand-ins for the demo, in the mirrors' published Parquet schema.

``HIM-2K/data/train-00000-of-00001.parquet``: ``image`` (a datasets Image: struct of the JPEG's
bytes and its file name), ``mask`` (a list of datasets Images: one 8-bit grey PNG matte per
person, 2 or 3 per image) and ``subset`` (``comp``, ``natural``), in two row groups.
``AIM-500/data/test-00000-of-00001.parquet``: ``image``, ``mask`` (one matte; one row's is an
RGB PNG, as the mirror's card says modes vary upstream), ``category``, ``type`` and
``image_name``. The ``huggingface`` schema metadata ``datasets`` writes is included. Rows are
written with pyarrow, the way ``datasets`` stores Image values; the demo reads them in place.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

from mattehub.families.demo import DemoBuild, FamilyDemo
from mattehub.families.hub_mirrors.options import HubAim500Options, HubHim2kOptions
from mattehub.families.hub_mirrors.recipe import HubAim500Recipe, HubHim2kRecipe

IMAGE_TYPE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
IMAGE_FEATURE = {"_type": "Image"}
HIM_ROWS = (("comp_demo_0001", 96, 72, 2, "comp"), ("comp_demo_0002", 88, 80, 3, "comp"),
            ("natural_demo_0001", 100, 64, 2, "natural"), ("natural_demo_0002", 72, 90, 2, "natural"))
AIM_ROWS = (("o_0a1b2c3d", 90, 70, "animal", "STM"), ("o_1b2c3d4e", 80, 96, "plant", "NS"),
            ("o_2c3d4e5f", 100, 75, "portrait", "SO"))


@dataclass(frozen=True)
class MirrorDemoSources:
    him2k: Path
    aim500: Path


def _png(array: np.ndarray, mode: str = "L") -> bytes:
    out = io.BytesIO()
    Image.fromarray(array, mode).save(out, "PNG")
    return out.getvalue()


def _jpeg(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, "JPEG", quality=90)
    return out.getvalue()


def _picture(rng: np.random.Generator, width: int, height: int, people: int
             ) -> tuple[bytes, list[np.ndarray]]:
    """A JPEG of ``people`` soft blobs on a gradient, and each blob's 8-bit matte."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    image = rng.integers(40, 200, 3).astype(np.float32) + 0.5 * xs[..., None] + rng.normal(0, 6, (height, width, 3))
    mattes = []
    for number in range(people):
        matte = np.zeros((height, width), np.uint8)
        centre = (int(width * (number + 1) / (people + 1)), int(height * rng.uniform(0.4, 0.6)))
        cv2.ellipse(matte, centre, (max(6, width // (3 * people)), height // 3), 0, 0, 360, 255, -1,
                    cv2.LINE_AA)
        matte = cv2.GaussianBlur(matte, (5, 5), 0)
        a = matte.astype(np.float32)[..., None] / 255
        image = a * rng.integers(0, 256, 3).astype(np.float32) + (1 - a) * image
        mattes.append(matte)
    return _jpeg(np.clip(image, 0, 255).astype(np.uint8)), mattes


def _write(path: Path, columns: dict, features: dict, rows_per_group: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table(columns).replace_schema_metadata(
        {"huggingface": json.dumps({"info": {"features": features}})})
    pq.write_table(table, path, row_group_size=rows_per_group)


def _him2k(folder: Path, rng: np.random.Generator) -> None:
    images, masks = [], []
    for name, width, height, people, _ in HIM_ROWS:
        image, mattes = _picture(rng, width, height, people)
        images.append({"bytes": image, "path": f"{name}.jpg"})
        masks.append([{"bytes": _png(m), "path": f"{name}_{k:02d}.png"} for k, m in enumerate(mattes)])
    features = {"image": IMAGE_FEATURE, "mask": [IMAGE_FEATURE],
                "subset": {"dtype": "string", "_type": "Value"}}
    _write(folder / "data" / "train-00000-of-00001.parquet",
           {"image": pa.array(images, IMAGE_TYPE), "mask": pa.array(masks, pa.list_(IMAGE_TYPE)),
            "subset": pa.array([row[4] for row in HIM_ROWS])}, features, 2)


def _aim500(folder: Path, rng: np.random.Generator) -> None:
    images, masks = [], []
    for number, (name, width, height, _, _) in enumerate(AIM_ROWS):
        image, (matte,) = _picture(rng, width, height, 1)
        images.append({"bytes": image, "path": f"{name}.jpg"})
        stored = _png(np.dstack([matte] * 3), "RGB") if number == 1 else _png(matte)
        masks.append({"bytes": stored, "path": f"{name}.png"})
    text = {"dtype": "string", "_type": "Value"}
    features = {"image": IMAGE_FEATURE, "mask": IMAGE_FEATURE, "category": text, "type": text,
                "image_name": text}
    _write(folder / "data" / "test-00000-of-00001.parquet",
           {"image": pa.array(images, IMAGE_TYPE), "mask": pa.array(masks, IMAGE_TYPE),
            "category": pa.array([row[3] for row in AIM_ROWS]),
            "type": pa.array([row[4] for row in AIM_ROWS]),
            "image_name": pa.array([row[0] for row in AIM_ROWS])}, features, 8)


def make_mirror_sources(root: Path) -> MirrorDemoSources:
    """Write both stand-ins below ``root`` (once; later calls reuse them)."""
    root = Path(root)
    sources = MirrorDemoSources(root / "HIM-2K", root / "AIM-500")
    if not (root / "done").exists():
        rng = np.random.default_rng(2402)
        _him2k(sources.him2k, rng)
        _aim500(sources.aim500, rng)
        (root / "done").write_text("")
    return sources


def demo(sources_root: Path, out: Path) -> FamilyDemo:
    """Both mirrors read in place from their Parquet files."""
    sources = make_mirror_sources(sources_root / "hub-mirrors-demo")
    him = HubHim2kRecipe(HubHim2kOptions(data_dir=str(sources.him2k), split="train"), seed=0)
    aim = HubAim500Recipe(HubAim500Options(data_dir=str(sources.aim500), split="test"), seed=0)
    return FamilyDemo(
        builds=(DemoBuild(him, split="train"), DemoBuild(aim, split="test")),
        load_lines=("# Hub mirrors read in place from their Parquet files (local or hf://datasets/...):",
                    f"ds = load_dataset('mattehub', 'hub-him2k', data_dir={str(sources.him2k)!r}, "
                    "split='train', streaming=True)",
                    f"ds = load_dataset('mattehub', 'hub-aim500', data_dir={str(sources.aim500)!r}, "
                    "split='test', streaming=True)"))
