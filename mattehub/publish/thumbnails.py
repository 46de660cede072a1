"""A viewer-friendly ``<config>-preview`` config for each clip config of the Parquet repo.

The Hub's dataset viewer draws ``Image`` cells as thumbnails but lists a clip row's frames
(``List(Image())``) and mattes (``List(List(Image()))``) without drawing them, and a clip row
(tens of frames) is far larger than its 200 kB first-rows response. So the staged Parquet
repo gets, per clip config, a small extra config whose rows the viewer can show: each clip's
key, its first frame and the union of its first frame's instance mattes, downscaled to at
most ``SIDE`` pixels (JPEG q85 / 8-bit grey PNG), for the first ``ROWS`` clips of each split.
It is derived from the shards at staging time (the shards themselves are not changed) and
declared in the repo card's ``configs:`` next to the config it previews.
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from mattehub.contract import codecs
from mattehub.core.jsonio import read_json
from mattehub.output.layout import OutputLayout

SIDE = 192
"""Longest side of a thumbnail, in pixels."""
ROWS = 20
"""Clips per split in a preview config."""
SUFFIX = "-preview"


def _small(image: np.ndarray) -> np.ndarray:
    scale = SIDE / max(image.shape[:2])
    if scale >= 1:
        return image
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _thumbnails(frames: list[dict], mattes: list[list[dict]]) -> tuple[bytes, bytes]:
    """(first frame JPEG, union of its mattes PNG), both downscaled."""
    frame = cv2.imdecode(np.frombuffer(frames[0]["bytes"], np.uint8), cv2.IMREAD_COLOR)
    union = np.zeros(frame.shape[:2], np.uint8)
    for matte in mattes[0] if mattes else []:
        cv2.add(union, cv2.imdecode(np.frombuffer(matte["bytes"], np.uint8), cv2.IMREAD_GRAYSCALE),
                dst=union)
    return codecs.encode_jpeg(_small(frame), 85, bgr=True), codecs.encode_png(_small(union))


def _features() -> dict:
    return {"__key__": {"dtype": "string", "_type": "Value"}, "first_frame": {"_type": "Image"},
            "first_alpha": {"_type": "Image"}}


def _write_split(shards: list[Path], out: Path) -> int:
    """The first ``ROWS`` clips of ``shards`` as one preview Parquet file; rows written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = []
    for shard in shards:
        table = pq.read_table(shard, columns=["__key__", "frames", "instance_alphas"])
        for row in table.slice(0, ROWS - len(rows)).to_pylist():
            frame, alpha = _thumbnails(row["frames"], row["instance_alphas"])
            rows.append({"__key__": row["__key__"], "first_frame": {"bytes": frame, "path": None},
                         "first_alpha": {"bytes": alpha, "path": None}})
        if len(rows) >= ROWS:
            break
    image = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    schema = pa.schema([("__key__", pa.string()), ("first_frame", image), ("first_alpha", image)],
                       metadata={"huggingface": json.dumps({"info": {"features": _features()}})})
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), out, write_page_index=True)
    return len(rows)


def write_previews(root: Path, clip_configs: list[str]) -> dict[str, list[str]]:
    """Write ``<config>-preview/<split>-00000.parquet`` under the staged Parquet repo ``root``
    for each clip config; returns preview config -> its splits."""
    layout, previews = OutputLayout(root), {}
    for path in layout.summaries():
        summary = read_json(path)
        if not summary or summary.get("config") not in clip_configs:
            continue
        config, split = summary["config"], summary["split"]
        shards = sorted(layout.shard_dir(config, "parquet").glob(f"{split}-*.parquet"))
        if shards and _write_split(shards, root / f"{config}{SUFFIX}" / f"{split}-00000.parquet"):
            previews.setdefault(f"{config}{SUFFIX}", []).append(split)
    return {name: sorted(splits) for name, splits in sorted(previews.items())}


def declare(card: str, previews: dict[str, list[str]]) -> str:
    """``card`` with each preview config added to its YAML ``configs:`` list."""
    if not previews:
        return card
    lines = []
    for name, splits in previews.items():
        lines += [f"- config_name: {name}", "  data_files:"]
        lines += [f"  - split: {s}\n    path: {name}/{s}-*.parquet" for s in splits]
    head, marker, rest = card.partition("\nconfigs:\n")
    if not marker:
        raise ValueError("the repo card has no `configs:` list to add the preview configs to")
    return head + marker + "\n".join(lines) + "\n" + rest
