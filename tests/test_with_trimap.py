"""``--with trimap``: a lossless trimap field after ``alpha``, equal to ``mattehub.synthesis.trimap``
of the stored alpha (for ``random``, with the recorded seed rule)."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pyarrow.parquet as pq
import pytest

import mattehub
from mattehub.cli.main import main


def _i_him(hhm, out: Path, *extra: str) -> int:
    return main(["build", "i-him", "--out", str(out), "--no-progress", "--num-samples", "6",
                 "--image-root", str(hhm.image_root), "--bg-root", str(hhm.bg_root),
                 "--invalid-names", str(hhm.invalid_names), *extra])


def _rows(out: Path, config: str = "i-him") -> list[dict]:
    rows = []
    for shard in sorted((out / config).glob("train-*.parquet")):
        rows += pq.read_table(shard).to_pylist()
    return rows


def _grey(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)


@pytest.mark.parametrize("kind", ["him-eval", "duts", "random"])
def test_trimap_field_equals_mattehub_trimap_of_the_stored_alpha(hhm, tmp_path, kind):
    assert _i_him(hhm, tmp_path, "--with", "trimap", "--trimap-kind", kind) == 0
    rows = _rows(tmp_path)
    assert list(rows[0])[:4] == ["__key__", "image", "alpha", "trimap"]
    for row in rows:
        alpha, stored = _grey(row["alpha"]["bytes"]), _grey(row["trimap"]["bytes"])
        seed = mattehub.trimap_seed("i-him", 0, row["meta"]["index"]) if kind == "random" else None
        assert stored.dtype == np.uint8 and set(np.unique(stored)) <= {0, 128, 255}
        assert np.array_equal(stored, mattehub.trimap(alpha, kind, seed=seed))
    record = json.loads((tmp_path / "_stats" / "i-him" / "train.build.json").read_text())
    assert record["recipe"]["options"]["trimap_kind"] == kind


def test_other_fields_are_unchanged(hhm, tmp_path):
    assert _i_him(hhm, tmp_path / "plain") == 0
    assert _i_him(hhm, tmp_path / "with", "--with", "trimap") == 0
    plain, with_trimap = _rows(tmp_path / "plain"), _rows(tmp_path / "with")
    for a, b in zip(plain, with_trimap, strict=True):
        assert {k: v for k, v in b.items() if k != "trimap"} == a


def test_tars_carry_the_trimap_member(hhm, tmp_path):
    import tarfile

    assert _i_him(hhm, tmp_path, "--with", "trimap") == 0
    tar = next((tmp_path / "wds" / "i-him").glob("train-*.tar"))
    names = tarfile.open(tar).getnames()
    assert "00000000.trimap.png" in names


def test_trimap_kind_without_with_and_configs_without_alpha_are_refused(hhm, tmp_path, capsys):
    assert _i_him(hhm, tmp_path / "a", "--trimap-kind", "duts") == 2
    assert "trimap_kind= only applies with with_fields=('trimap',) [--trimap-kind, --with]" \
        in capsys.readouterr().err
    from mattehub.families.overlay_depth.standin import make_overlay_sources

    src = make_overlay_sources(tmp_path / "overlay")
    code = main(["build", "overlay-depth", "--out", str(tmp_path / "b"), "--no-progress",
                 "--bg-root", str(src.bg_root), "--fg-root", str(src.fg_root), "--with", "trimap"])
    assert code == 2
    assert "needs a config with an alpha field" in capsys.readouterr().err
    assert not list((tmp_path / "b").glob("overlay-depth/*.parquet"))
