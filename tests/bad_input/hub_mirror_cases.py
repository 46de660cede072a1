"""Bad-input rows: damaged Hub-mirror Parquet trees (``hub-aim500``, ``hub-him2k``).

Each case writes a small mirror (tests/hub_mirror_tree.py, pyarrow alone: AIM-500 rows
``o_00000000`` .. ``o_00000002``, HIM-2K rows ``him_00`` .. ``him_02``), damages it and runs
``mattehub build``. A damaged row (truncated image, a matte of another size, no bytes) is a
counted skipped sample with a ``bad_input`` event naming ``<file> row <n> (<column>)``; an
unreadable Parquet file or one without the columns is a counted skip in the build record naming
it; a mirror without the split or the columns is a clear error listing what was found. No case
may print a traceback.
"""
from __future__ import annotations

import json
import re

from .harness import Case, Env, Fails, Run, Succeeds, built

FILE = "data/{split}-00000-of-00001.parquet"


def _build(config: str, split: str, damage, *extra: str):
    """Write the mirror of ``config``, ``damage(rows)`` before writing, build ``split``."""
    def run(env: Env) -> Run:
        from hub_mirror_tree import aim_rows, him_rows, write_aim500, write_him2k

        root = env.tmp / "mirror"
        rows = aim_rows(3) if config == "hub-aim500" else him_rows(3)
        damage(env, rows)
        write = write_aim500 if config == "hub-aim500" else write_him2k
        write(root / FILE.format(split="test" if config == "hub-aim500" else "train"), rows)
        return env.cli("build", config, "--data-dir", root, "--split", split,
                       "--out", env.tmp / "out", "--no-progress", *extra)
    return run


def _truncate_image(env: Env, rows: list[dict]) -> None:
    rows[1]["image"] = rows[1]["image"][: len(rows[1]["image"]) // 3]


def _mask_other_size(env: Env, rows: list[dict]) -> None:
    from hub_mirror_tree import matte, png

    if "mask" in rows[1]:
        rows[1]["mask"] = png(matte(9, 9, 0))
    else:
        rows[1]["masks"][0] = png(matte(9, 9, 0))


def _none(env: Env, rows: list[dict]) -> None:
    pass


def _broken_file(env: Env, rows: list[dict]) -> None:
    folder = env.tmp / "mirror" / "data"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "test-00001-of-00002.parquet").write_bytes(b"PAR1 this is not a parquet file")


def _skipped_row(config: str, split: str, column: str, pattern: str):
    """Row 1 is a counted skip naming its file, row and column; rows 0 and 2 are made."""
    def check(env: Env, run: Run) -> None:
        out = built(env, config, split)
        assert "Traceback" not in run.err
        bad = [e for e in out.events() if e["kind"] == "bad_input"]
        path = f"{FILE.format(split=split)} row 1 ({column})"
        assert [e["path"] for e in bad] == [path], bad
        assert re.search(pattern, bad[0]["reason"]), bad
        assert out.summary()["skipped_samples"] == 1 and len(out.rows()) == 2
        assert str(env.tmp) not in json.dumps(out.events())
    return check


def _skipped_file(env: Env, run: Run) -> None:
    out = built(env, "hub-aim500", "test")
    skipped = out.record()["sources"]["skipped_inputs"]
    assert [s["path"] for s in skipped] == ["data/test-00001-of-00002.parquet"], skipped
    assert "not a readable Parquet file" in skipped[0]["reason"]
    assert len(out.rows()) == 3


def _mask_none(env: Env, rows: list[dict]) -> None:
    rows[1]["masks"][0] = None


CASES: list[Case] = [
    Case("hub-aim500-image-truncated", "hub-aim500: a truncated image in a row: a counted skip "
         "naming the file, row and column", _build("hub-aim500", "test", _truncate_image),
         Succeeds(), _skipped_row("hub-aim500", "test", "image", r"truncated|corrupt|cannot")),
    Case("hub-aim500-mask-other-size", "hub-aim500: a mask of another size than its image: a "
         "counted skip naming the row", _build("hub-aim500", "test", _mask_other_size),
         Succeeds(), _skipped_row("hub-aim500", "test", "mask", r"is 9x9 but its image is")),
    Case("hub-him2k-instance-other-size", "hub-him2k: one instance matte of another size: the "
         "row is a counted skip naming mask[0]", _build("hub-him2k", "train", _mask_other_size),
         Succeeds(), _skipped_row("hub-him2k", "train", "mask[0]", r"is 9x9 but its image is")),
    Case("hub-him2k-matte-without-bytes", "hub-him2k: a matte stored without bytes (null): a "
         "counted skip naming it", _build("hub-him2k", "train", _mask_none),
         Succeeds(), _skipped_row("hub-him2k", "train", "mask[0]", r"empty \(null\)")),
    Case("hub-aim500-unreadable-file", "hub-aim500: a damaged Parquet file of the split is a "
         "counted skip in the build record naming it", _build("hub-aim500", "test", _broken_file),
         Succeeds(), _skipped_file),
    Case("hub-aim500-no-such-split", "hub-aim500: a split the mirror does not have is a clear "
         "error listing the splits found", _build("hub-aim500", "train", _none),
         Fails(r"no Parquet file of split 'train' \(splits found: test\)")),
    Case("hub-him2k-wrong-mask-column", "hub-him2k: --mask-column naming no column is a clear "
         "error listing the columns found", _build("hub-him2k", "train", _none, "--mask-column", "alphas"),
         Fails(r"has no column 'alphas' \(columns: image .*mask .*subset")),
]
