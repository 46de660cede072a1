"""What the synthesis build benchmarks (``bench_i_him``, ``bench_v_him``) share: the build
engine's stages that end every profile, and the two routes both compare."""
from __future__ import annotations

WRITE_STAGES = (
    ("build/sequence.py", "add", "write to Parquet + tar writers"),
    ("build/sequence.py", "finish", "close shards, sha256/md5, stats"),
    ("build/finalize.py", "finalize_split", "finalize: preview sheet, index, card (once per build)"),
)
"""(file, function, label) of the engine's stages after a recipe's own, by cumulative time."""
BUILD_KINDS = {
    "a": "mattehub `build()`: Parquet + WebDataset shards",
    "b": "reference: Pillow + numpy, release folder layout",
}
"""The two routes every synthesis build benchmark runs."""
