"""``mattehub evaluate`` end to end: ground truth streamed from a small i-him shard folder, a
stand-in DUTS tree (stored trimaps) and a one-clip v-him folder; predictions written here as
PNGs. Perfect predictions score 0, a known perturbation the SAD worked out by hand, missing
predictions count as all-zero mattes, and bad prediction files are clean errors naming them.

Expected ground truth is read from the Parquet shards with pyarrow and OpenCV, not through
the code under test."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

import mattehub
from conftest import grey_png, parquet_rows
from duts_tree import make_duts_tree
from mattehub.build.run import BuildOptions, build
from mattehub.cli.main import main
from mattehub.families.video_him.standin import make_video_sources
from mattehub.families.video_him.options import VideoHimOptions
from mattehub.families.video_him.recipe import VideoHimRecipe
from mattehub.build.sequence import ShardLimits


def write_instances(root: Path, truth: dict[str, list[np.ndarray]]) -> Path:
    """Perfect predictions, ``<key>/<k>.png``: zero-padded names for even samples, plain
    ones for odd samples (both are accepted)."""
    for number, (key, mattes) in enumerate(sorted(truth.items())):
        (root / key).mkdir(parents=True)
        for k, matte in enumerate(mattes):
            name = f"{k:02d}.png" if number % 2 == 0 else f"{k}.png"
            cv2.imwrite(str(root / key / name), matte)
    return root


def instance_path(root: Path, key: str, k: int) -> Path:
    return next(p for p in (root / key).glob("*.png") if int(p.stem) == k)


def evaluate(capsys, config: str, data: Path, pred: Path, *extra: str) -> tuple[int, str, str]:
    code = main(["evaluate", config, "--data-dir", str(data), "--pred", str(pred), "--no-progress",
                 *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def all_zero(means: dict) -> bool:
    return all(value == 0 for region in means.values() for value in region.values())


def test_perfect_instance_predictions_score_zero_and_json_is_written(i_him, truth, tmp_path, capsys):
    pred = write_instances(tmp_path / "pred", truth)
    code, out, _ = evaluate(capsys, "i-him", i_him, pred, "--json", str(tmp_path / "scores.json"))
    assert code == 0
    report = json.loads((tmp_path / "scores.json").read_text())
    instances = sum(len(m) for m in truth.values())
    assert report["counts"] == {"samples": 4, "predictions_read": instances, "missing_predictions": 0,
                                "instances": instances, "instances_without_mask": 0,
                                "extra_predictions": 0}
    assert report["kind"] == "instances" and report["means_over"] == "instances"
    assert all_zero(report["means"]) and set(report["means"]) == {"whole", "unknown"}
    assert [s["key"] for s in report["samples"]] == sorted(truth)
    assert f"i-him/train: 4 samples, {instances} instances" in out and "SAD" in out


def test_known_perturbation_gives_the_hand_computed_sad(i_him, truth, tmp_path, capsys):
    # A 10 x 10 block of instance 0 of the first sample off by 51 levels (0.2) each:
    # SAD = 100 x 0.2 / 1000 = 0.02; whole MSE = 100 x 0.04 / (H x W) x 1000.
    pred = write_instances(tmp_path / "pred", truth)
    key = sorted(truth)[0]
    gt = truth[key][0]
    wrong = gt.copy()
    block = wrong[:10, :10]
    wrong[:10, :10] = np.where(block >= 51, block - 51, block + 51)
    cv2.imwrite(str(instance_path(pred, key, 0)), wrong)
    assert evaluate(capsys, "i-him", i_him, pred, "--json", str(tmp_path / "s.json"))[0] == 0
    report = json.loads((tmp_path / "s.json").read_text())
    first = report["samples"][0]["instances"][0]
    assert first["whole"]["sad"] == pytest.approx(0.02)
    assert first["whole"]["mse"] == pytest.approx(100 * 0.04 / gt.size * 1000)
    instances = sum(len(m) for m in truth.values())
    assert report["means"]["whole"]["sad"] == pytest.approx(0.02 / instances)


def test_missing_prediction_is_scored_as_all_zero_and_reported(i_him, truth, tmp_path, capsys):
    pred = write_instances(tmp_path / "pred", truth)
    key = sorted(truth)[1]
    instance_path(pred, key, 0).unlink()
    code, out, _ = evaluate(capsys, "i-him", i_him, pred, "--json", str(tmp_path / "s.json"))
    assert code == 0
    report = json.loads((tmp_path / "s.json").read_text())
    assert report["missing"] == [f"{key}/0.png"] and report["counts"]["missing_predictions"] == 1
    scored = report["samples"][1]["instances"][0]
    assert scored["prediction"] is None
    assert scored["whole"]["sad"] == pytest.approx(truth[key][0].sum(dtype=np.int64) / 255 / 1000)
    assert f"1 missing predictions scored as all-zero mattes: {key}/0.png" in out


def test_hungarian_matching_undoes_a_permuted_numbering(i_him, truth, tmp_path, capsys):
    reversed_truth = {key: mattes[::-1] for key, mattes in truth.items()}
    pred = write_instances(tmp_path / "pred", reversed_truth)
    assert any(len(m) > 1 for m in truth.values())
    evaluate(capsys, "i-him", i_him, pred, "--json", str(tmp_path / "index.json"))
    evaluate(capsys, "i-him", i_him, pred, "--match", "hungarian", "--json", str(tmp_path / "h.json"))
    by_index = json.loads((tmp_path / "index.json").read_text())
    hungarian = json.loads((tmp_path / "h.json").read_text())
    assert by_index["means"]["whole"]["sad"] > 0
    assert all_zero(hungarian["means"]) and hungarian["matching"] == "hungarian"
    sample = next(s for s in hungarian["samples"] if len(s["instances"]) > 1)
    count = len(sample["instances"])
    assert [i["prediction"] for i in sample["instances"]] == list(range(count))[::-1]


@pytest.mark.parametrize("damage, message", [
    ("size", "is 5x4 but its image is"),
    ("bytes", "is a damaged PNG"),
    ("rgb", "refused: it is 8-bit, 3 channel(s), and a prediction must be an 8-bit single-channel"),
    ("16-bit", "refused: it is 16-bit, 1 channel(s), and a prediction must be an 8-bit single-channel"),
])
def test_bad_prediction_file_is_a_clean_error_naming_it(i_him, truth, tmp_path, capsys, damage, message):
    pred = write_instances(tmp_path / "pred", truth)
    key = sorted(truth)[2]
    bad = instance_path(pred, key, 0)
    if damage == "size":
        cv2.imwrite(str(bad), np.zeros((4, 5), np.uint8))
    elif damage == "bytes":
        bad.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    elif damage == "rgb":
        cv2.imwrite(str(bad), np.dstack([truth[key][0]] * 3))
    else:
        cv2.imwrite(str(bad), truth[key][0].astype(np.uint16) * 257)
    code, _, err = evaluate(capsys, "i-him", i_him, pred)
    assert code == 2 and f"mattehub: error: {bad}: {message}" in err
    assert "Traceback" not in err


def test_no_prediction_at_all_is_refused(i_him, tmp_path, capsys):
    pred = tmp_path / "pred"
    (pred / "wrong-layout").mkdir(parents=True)
    (pred / "wrong-layout" / "0.png").write_bytes(b"")
    code, _, err = evaluate(capsys, "i-him", i_him, pred)
    assert code == 2 and "no prediction found for any of the 4 samples of i-him/train" in err
    assert "00000000/0.png" in err


def test_two_files_for_one_instance_are_refused(i_him, truth, tmp_path, capsys):
    pred = write_instances(tmp_path / "pred", truth)
    key = sorted(truth)[0]
    shutil.copy(instance_path(pred, key, 0), pred / key / "0.png")
    code, _, err = evaluate(capsys, "i-him", i_him, pred)
    assert code == 2 and "names the same number as" in err and key in err


def test_unknown_split_and_missing_folder_are_clean_errors(i_him, truth, tmp_path, capsys):
    pred = write_instances(tmp_path / "pred", truth)
    code, _, err = evaluate(capsys, "i-him", i_him, pred, "--split", "test")
    assert code == 2 and "cannot read i-him/test" in err and "Traceback" not in err
    code, _, err = evaluate(capsys, "i-him", i_him, tmp_path / "nope")
    assert code == 2 and f"{tmp_path / 'nope'}: is not a folder of predictions" in err


@pytest.fixture(scope="module")
def duts(tmp_path_factory):
    """A stand-in DUTS tree (streamed from its sources; samples carry a stored trimap)."""
    return make_duts_tree(tmp_path_factory.mktemp("evaluate-duts"))


def test_single_matte_config_uses_the_stored_trimap(duts, tmp_path, capsys):
    # keys follow the sorted names of DUTS-TE; predictions are <key>.png
    masks = [grey_png(duts.files[mask]) for _, _, mask in duts.pairs("test")]
    pred = tmp_path / "pred"
    pred.mkdir()
    for index, mask in enumerate(masks):
        cv2.imwrite(str(pred / f"{index:08d}.png"), mask)
    code, _, _ = evaluate(capsys, "duts", duts.root, pred, "--split", "test", "--json",
                          str(tmp_path / "perfect.json"))
    assert code == 0
    perfect = json.loads((tmp_path / "perfect.json").read_text())
    assert perfect["kind"] == "alpha" and perfect["counts"]["samples"] == len(masks)
    assert all_zero(perfect["means"])
    # one pixel of sample 0 off by 51 inside both unknown regions: unknown MSE is
    # 0.04 / (unknown pixels) x 1000, with the stored (DUTS) trimap unless --trimap him-eval
    stored, him_eval = mattehub.trimap(masks[0], "duts"), mattehub.trimap(masks[0], "him-eval")
    y, x = np.argwhere((stored == 128) & (him_eval == 128))[0]
    wrong = masks[0].copy()
    wrong[y, x] = wrong[y, x] - 51 if wrong[y, x] >= 51 else wrong[y, x] + 51
    cv2.imwrite(str(pred / "00000000.png"), wrong)
    for extra, trimap in (((), stored), (("--trimap", "him-eval"), him_eval)):
        evaluate(capsys, "duts", duts.root, pred, "--split", "test", "--json", str(tmp_path / "s.json"),
                 *extra)
        sample = json.loads((tmp_path / "s.json").read_text())["samples"][0]
        assert sample["unknown"]["mse"] == pytest.approx(0.04 / (trimap == 128).sum() * 1000)
        assert sample["whole"]["sad"] == pytest.approx(0.2 / 1000)
    (pred / "00000001.png").unlink()
    code, out, _ = evaluate(capsys, "duts", duts.root, pred, "--split", "test")
    assert code == 0 and "1 missing predictions scored as all-zero mattes: 00000001.png" in out


@pytest.fixture(scope="module")
def v_him(hhm, tmp_path_factory) -> Path:
    """A one-clip v-him shard folder."""
    sources = make_video_sources(tmp_path_factory.mktemp("evaluate-video"), hhm)
    out = tmp_path_factory.mktemp("evaluate-v-him")
    build(VideoHimRecipe(VideoHimOptions(data_dir=str(sources)), seed=0),
          BuildOptions(out=out, num_samples=1, progress=False, limits=ShardLimits(max_samples=2)))
    return out


def test_clip_predictions_per_frame_and_instance(v_him, tmp_path, capsys):
    row = parquet_rows(v_him, "v-him")[0]
    key, frames = row["__key__"], [[grey_png(m["bytes"]) for m in f] for f in row["instance_alphas"]]
    pred = tmp_path / "pred"
    for t, frame in enumerate(frames):
        (pred / key / f"{t:05d}").mkdir(parents=True)
        for k, matte in enumerate(frame):
            cv2.imwrite(str(pred / key / f"{t:05d}" / f"{k}.png"), matte)
    code, out, _ = evaluate(capsys, "v-him", v_him, pred, "--json", str(tmp_path / "perfect.json"))
    perfect = json.loads((tmp_path / "perfect.json").read_text())
    assert code == 0 and perfect["kind"] == "clip" and all_zero(perfect["means"])
    assert set(perfect["means"]["whole"]) == {"sad", "mse", "mad", "grad", "conn", "dtssd", "messddt"}
    assert perfect["counts"]["instances"] == len(frames[0]) and "dtSSD" in out
    shutil.rmtree(pred / key / "00002")  # frame 2 of every instance missing: scored as zeros
    evaluate(capsys, "v-him", v_him, pred, "--json", str(tmp_path / "s.json"))
    report = json.loads((tmp_path / "s.json").read_text())
    assert report["missing"] == [f"{key}/2/{k}.png" for k in range(len(frames[0]))]
    first = report["samples"][0]["instances"][0]["whole"]
    assert first["sad"] == pytest.approx(frames[2][0].sum(dtype=np.int64) / 255 / 1000 / len(frames))
    assert first["dtssd"] > 0


def test_evaluate_help_names_the_layout(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "<key>/<t>/<k>.png" in text and "--match" in text and "hungarian" in text


def test_instances_without_guidance_mask_are_not_evaluated(tmp_path):
    # M-HIM2K: meta.mask_present[k] false -> instance k never enters the means (MaGGIe lists
    # the mask folder); its prediction file, if any, is an extra prediction.
    from mattehub.evaluation.cases import make_case
    from mattehub.evaluation.options import EvaluationOptions
    from mattehub.evaluation.scoring import score_case

    gts = [np.full((4, 4), 255, np.uint8), np.zeros((4, 4), np.uint8)]
    gts[1][0, 0] = 255
    (tmp_path / "k").mkdir()
    for k, matte in enumerate(gts):
        cv2.imwrite(str(tmp_path / "k" / f"{k}.png"), np.zeros_like(matte))
    sample = {"__key__": "k", "instance_alphas": gts, "meta": {"mask_present": [False, True]}}
    options = EvaluationOptions("m-him2k", "unused", tmp_path)
    record, _, _ = score_case(options, make_case(sample, "instances"))
    assert [i["instance"] for i in record["instances"]] == [1]
    assert record["instances"][0]["whole"]["sad"] == pytest.approx(1 / 1000)
    assert record["instances_without_mask"] == [0] and record["extra_predictions"] == [0]
