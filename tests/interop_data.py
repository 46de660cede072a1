"""What the interop tests share: a small built folder named like the README's, the README's
recipe blocks, and the reference every engine's examples must equal."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from conftest import build_i_him
from mattehub.training import to_arrays

REPO = Path(__file__).resolve().parents[1]
SECTION = "Other engines: wids, Ray Data, litdata"
ARRAY_FIELDS = ("image", "alpha", "instance_alphas", "fg", "bg")


def build_demo_like(hhm, root: Path) -> Path:
    """An i-him build of 20 samples in 3 shards at ``root/mattehub-demo`` (the README's name)."""
    out = root / "mattehub-demo"
    build_i_him(hhm, out)
    return out


def readme_block(engine: str) -> str:
    """The README block of the interop section whose first line names ``engine``."""
    text = (REPO / "README.md").read_text().split(f"## {SECTION}\n", 1)[1].split("\n## ", 1)[0]
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if b.startswith(f"# {engine}:")]
    assert len(blocks) == 1, engine
    return blocks[0]


def run_block(code: str, name: str) -> dict:
    """Execute a documentation block as written; returns its global names."""
    scope: dict = {"__name__": name}
    exec(compile(code, name, "exec"), scope)  # noqa: S102 - the documented recipe under test
    return scope


def reference(out: Path) -> dict[str, dict]:
    """Every sample of the build, by key: its Parquet rows read by pyarrow, decoded by to_arrays."""
    rows = pq.read_table(sorted((out / "i-him").glob("*.parquet"))).to_pylist()
    return {row["__key__"]: to_arrays(row) for row in rows}


def assert_same(example: dict, expected: dict) -> None:
    """Equal arrays (values, dtype, shape) for every image field and an equal ``meta``."""
    for name in ARRAY_FIELDS:
        got, want = np.asarray(example[name]), expected[name]
        assert got.dtype == want.dtype and got.shape == want.shape, name
        assert np.array_equal(got, want), name
    assert example["meta"] == expected["meta"]


def files(out: Path) -> list[str]:
    """Every file below ``out``: an engine reading in place must leave the folder as it was."""
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
