"""``videomatte240k-rvm-eval`` on evaluation sets written without mattehub in the layout of
Robust Video Matting's generation scripts (tests/rvm_eval_tree.py): the folder holding the
dataset folders, one dataset folder, and a zip. A clip is a sample, whole; ``com`` frames and
``pha`` alphas pass through byte for byte; splits are ``combined`` and the dataset folders;
``mattehub evaluate --protocol rvm`` gives RVM's per-frame-position means; export writes the
generated files back."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from mattehub.cli.main import main
from rvm_eval_tree import DATASETS, make_eval_sets, zip_sets

CONFIG = "videomatte240k-rvm-eval"
ORDER = ["videomatte_motion_0000", "videomatte_motion_0001", "videomatte_static_0000"]


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    return make_eval_sets(tmp_path_factory.mktemp("rvm"))


@pytest.fixture(scope="module")
def combined(sets, tmp_path_factory):
    out = tmp_path_factory.mktemp("rvm-out")
    assert main(["build", CONFIG, "--data-dir", str(sets.root), "--out", str(out), "--no-progress",
                 "--max-samples-per-shard", "2"]) == 0
    return out


def rows(out: Path, split: str) -> list[dict]:
    found = []
    for shard in sorted((out / CONFIG).glob(f"{split}-*.parquet")):
        found += pq.read_table(shard).to_pylist()
    return found


def blob(value) -> bytes:
    return value if isinstance(value, bytes) else value["bytes"]


def check_rows(sets, found: list[dict], keys: list[str]) -> None:
    assert [row["__key__"] for row in found] == keys
    for row in found:
        want = sets.expected[row["__key__"]]
        assert [blob(f) for f in row["frames"]] == want["com"]
        assert [[blob(a) for a in frame] for frame in row["instance_alphas"]] == [[p] for p in want["pha"]]
        meta = row["meta"]
        assert (meta["dataset"], meta["clip"], meta["frame_names"]) == (want["dataset"], want["clip"], want["names"])
        assert (meta["num_frames"], meta["width"], meta["height"], meta["alpha_format"]) == (
            len(want["names"]), 40, 24, "png")


def test_combined_split_is_every_clip_whole_in_rvm_order(sets, combined):
    check_rows(sets, rows(combined, "combined"), ORDER)
    record = json.loads((combined / "_stats" / CONFIG / "combined.build.json").read_text())
    assert record["sources"]["skipped_inputs"] == []
    assert record["sources"]["frames"] == 5 + 3 + 4


def test_splits_are_the_dataset_folders_from_folder_zip_and_one_dataset(sets, tmp_path):
    import mattehub  # noqa: F401  registers the builder
    from datasets import load_dataset

    zipped = zip_sets(sets, tmp_path / "zips")
    for data_dir in (sets.root, zipped):
        ds = load_dataset("mattehub", CONFIG, data_dir=str(data_dir), streaming=True)
        assert sorted(ds) == ["combined", *sorted(DATASETS)]
        check_rows(sets, list(ds["videomatte_motion"].decode(False)), ORDER[:2])
        check_rows(sets, list(ds["combined"].decode(False)), ORDER)
    one = load_dataset("mattehub", CONFIG, data_dir=str(sets.root / "videomatte_static"), streaming=True)
    assert sorted(one) == ["combined", "videomatte_static"]
    check_rows(sets, list(one["videomatte_static"].decode(False)), ORDER[2:])


def test_a_clip_with_a_frame_missing_is_skipped_whole_and_named(sets, tmp_path):
    import shutil

    copy = tmp_path / "sets"
    shutil.copytree(sets.root, copy, symlinks=True)
    (copy / "videomatte_motion" / "0000" / "pha" / "0002.png").unlink()
    out = tmp_path / "out"
    assert main(["build", CONFIG, "--data-dir", str(copy), "--out", str(out), "--no-progress"]) == 0
    assert [row["__key__"] for row in rows(out, "combined")] == ORDER[1:]
    record = json.loads((out / "_stats" / CONFIG / "combined.build.json").read_text())
    skipped = {s["path"]: s["reason"] for s in record["sources"]["skipped_inputs"]}
    assert "has no pha/ frame" in skipped["videomatte_motion/0000/com/0002.png"]
    assert "skipped whole" in skipped["videomatte_motion/0000/"]


def _rvm_means(preds: dict[str, list[np.ndarray]], sets) -> dict[str, float]:
    """RVM's evaluate_lr.py by its formulas: per frame MAD = mean|p - g| x 1e3, MSE = mean
    (p - g)^2 x 1e3, dtSSD = 0 at frame 0, then sqrt(sum((p_t - p_t-1) - (g_t - g_t-1))^2
    / (H W)) x 1e2 (MetricMAD, MetricMSE, MetricDTSSD); the sheet's AVERAGE per frame
    position (column) over the clips (rows) that have it, then AVERAGE over positions."""
    columns: dict[str, dict[int, list[float]]] = {"mad": {}, "mse": {}, "dtssd": {}}
    for key, pred in preds.items():
        gts = sets.expected[key]["alphas"]
        for t, (p, g) in enumerate(zip(pred, gts)):
            p, g = p.astype(np.float32) / 255, g.astype(np.float32) / 255
            d = (p - g).astype(np.float64)
            values = {"mad": np.abs(d).mean() * 1e3, "mse": (d ** 2).mean() * 1e3, "dtssd": 0.0}
            if t:
                p0, g0 = pred[t - 1].astype(np.float32) / 255, gts[t - 1].astype(np.float32) / 255
                change = ((p - p0) - (g - g0)).astype(np.float64) ** 2
                values["dtssd"] = math.sqrt(change.sum() / g.size) * 1e2
            for metric, value in values.items():
                columns[metric].setdefault(t, []).append(float(value))
    return {m: float(np.mean([np.mean(v) for v in c.values()])) for m, c in columns.items()}


def test_evaluate_protocol_rvm_gives_rvm_per_position_means(sets, combined, tmp_path):
    """Predictions ``PRED/<dataset>_<clip>/<t>/0.png``: the ground truth scores 0; a
    perturbed copy scores RVM's per-frame-position means (clips of 5, 3 and 4 frames: a
    plain mean over frames would differ)."""
    rng = np.random.default_rng(5)
    for name, noise in (("exact", 0), ("off", 40)):
        preds = {}
        for key, want in sets.expected.items():
            preds[key] = []
            for t, alpha in enumerate(want["alphas"]):
                moved = np.clip(alpha.astype(int) + rng.integers(-noise, noise + 1, alpha.shape), 0, 255)
                preds[key].append(moved.astype(np.uint8))
                (tmp_path / name / key / str(t)).mkdir(parents=True)
                Image.fromarray(preds[key][-1]).save(tmp_path / name / key / str(t) / "0.png")
        report = tmp_path / f"{name}.json"
        assert main(["evaluate", CONFIG, "--data-dir", str(sets.root), "--protocol", "rvm",
                     "--pred", str(tmp_path / name), "--json", str(report), "--no-progress"]) == 0
        means = json.loads(report.read_text())["means"]["whole"]
        want = _rvm_means(preds, sets)
        for metric, value in want.items():
            assert means[metric] == pytest.approx(value, rel=1e-9, abs=1e-12), metric
        assert (means["mad"] == 0) == (noise == 0)
    frame_mean = np.mean([np.abs(p.astype(float) - g).mean() for k in preds
                          for p, g in zip(preds[k], sets.expected[k]["alphas"])]) / 255 * 1e3
    assert want["mad"] != pytest.approx(frame_mean, rel=1e-6)


def test_export_writes_the_generated_files_back(sets, combined, tmp_path):
    out = tmp_path / "export"
    assert main(["export", CONFIG, str(combined), "--split", "combined",
                 "--out", str(out), "--no-progress"]) == 0
    for key, want in sets.expected.items():
        folder = out / want["dataset"] / want["clip"]
        for name, com, pha in zip(want["names"], want["com"], want["pha"]):
            assert (folder / "com" / f"{name}.png").read_bytes() == com
            assert (folder / "pha" / f"{name}.png").read_bytes() == pha
    back = tmp_path / "back"
    assert main(["build", CONFIG, "--data-dir", str(out), "--out", str(back), "--no-progress"]) == 0
    check_rows(sets, rows(back, "combined"), ORDER)


def test_licence_terms_make_it_private():
    from mattehub.publish.licence_gate import decide_all

    [decision] = decide_all([CONFIG])
    assert decision.terms.redistribution.value == "unknown" and decision.action == "private"


def test_every_meta_key_is_documented():
    from mattehub.families.videomatte240k.meta import RVM_EVAL_META_FEATURES

    doc = (Path(__file__).resolve().parents[1] / "docs" / "format.md").read_text()
    section = doc[doc.index("## 7. `videomatte240k`"):doc.index("## Parquet vs WebDataset")]
    assert "videomatte240k-rvm-eval" in section
    for key in RVM_EVAL_META_FEATURES:
        assert f"`{key}`" in section, key


def test_generated_alphas_reach_as_arrays_decoded_once_and_exact(sets, monkeypatch):
    """The ``pha`` PNGs are stored as generated (Pillow's, read by libpng in ``as_arrays``):
    the gate's pixels are handed over (``contract.decoded``) and equal a fresh decode."""
    import mattehub
    from mattehub.contract import decoded
    from mattehub.training import as_arrays

    def arrays() -> list[dict]:
        return list(as_arrays(mattehub.stream(CONFIG, str(sets.root), split="combined")))

    decoded.forget()
    try:
        handed = arrays()
        assert decoded.hits == sum(len(w["names"]) for w in sets.expected.values())
        decoded.forget()
        monkeypatch.setattr(decoded, "want", lambda: None)
        fresh = arrays()
        assert decoded.hits == 0
    finally:
        decoded.forget()
    for a, b in zip(handed, fresh, strict=True):
        want = np.stack(sets.expected[a["__key__"]]["alphas"])
        assert np.array_equal(a["instance_alphas"][:, 0], want)
        assert np.array_equal(b["instance_alphas"][:, 0], want)
        assert np.array_equal(a["frames"], b["frames"])
