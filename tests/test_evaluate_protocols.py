"""``mattehub evaluate`` options of issue 23 end to end: ``--protocol``, ``--match iou``,
JPEG predictions (refused, or scored with ``--allow-jpeg``), ``--workers`` and
``mattehub.evaluation.write_predictions``."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from mattehub.analysis.matching import iou_matrix, match_instances
from mattehub.core.errors import BuildError
from mattehub.evaluation import write_predictions
from test_evaluate import all_zero, evaluate, instance_path, write_instances

U8 = np.uint8


def perfect_run(capsys, i_him, truth, tmp_path, protocol: str) -> tuple[str, dict]:
    """Evaluate perfect i-him predictions under ``protocol``: (printed text, JSON report)."""
    pred = write_instances(tmp_path / "pred", truth)
    code, out, _ = evaluate(capsys, "i-him", i_him, pred, "--protocol", protocol,
                            "--json", str(tmp_path / "s.json"))
    assert code == 0
    return out, json.loads((tmp_path / "s.json").read_text())


def test_rvm_scores_perfect_predictions_zero_and_says_whose_evaluation(i_him, truth, tmp_path, capsys):
    out, report = perfect_run(capsys, i_him, truth, tmp_path, "rvm")
    assert out.startswith("protocol rvm: Robust Video Matting's")
    assert report["protocol"] == "rvm" and all_zero(report["means"])


def test_maggie_snaps_even_a_perfect_prediction(i_him, truth, tmp_path, capsys):
    # The ground truth is not snapped, the prediction is: pixels of value 1 (-> 0) and 254
    # (-> 255) are each 1/255 off. SAD = their count / 255 x 1e-3 over all maps (+ 1e-6).
    out, report = perfect_run(capsys, i_him, truth, tmp_path, "maggie")
    assert out.startswith("protocol maggie: MaGGIe's released evaluation")
    mattes = [m for ms in truth.values() for m in ms]
    snapped = sum(int(((m == 1) | (m == 254)).sum()) for m in mattes)
    assert snapped > 0 and report["counts"]["maps"] == len(mattes)
    assert report["means"]["whole"]["sad"] == pytest.approx(snapped / 255e3 / (len(mattes) + 1e-6), rel=1e-5)


def test_trimap_option_belongs_to_the_dim_protocol(i_him, truth, tmp_path, capsys):
    pred = write_instances(tmp_path / "pred", truth)
    code, _, err = evaluate(capsys, "i-him", i_him, pred, "--protocol", "maggie", "--trimap", "duts")
    assert code == 2 and "--trimap applies to --protocol dim" in err


def test_jpeg_predictions_are_refused_unless_allowed(i_him, truth, tmp_path, capsys):
    pred = write_instances(tmp_path / "pred", truth)
    key = sorted(truth)[0]
    png = instance_path(pred, key, 0)
    jpeg = png.with_suffix(".jpg")
    cv2.imwrite(str(jpeg), truth[key][0], [cv2.IMWRITE_JPEG_QUALITY, 90])
    png.unlink()
    code, _, err = evaluate(capsys, "i-him", i_him, pred)
    assert code == 2 and f"{jpeg}: is a JPEG: a lossy matte is not evaluated silently" in err
    assert "--allow-jpeg" in err
    code, _, _ = evaluate(capsys, "i-him", i_him, pred, "--allow-jpeg", "--json", str(tmp_path / "j.json"))
    report = json.loads((tmp_path / "j.json").read_text())
    assert code == 0 and report["counts"]["missing_predictions"] == 0
    first = report["samples"][0]["instances"][0]
    decoded = cv2.imread(str(jpeg), cv2.IMREAD_UNCHANGED)
    expected = np.abs(decoded.astype(int) - truth[key][0]).sum() / 255 / 1000
    assert first["whole"]["sad"] == pytest.approx(expected) and expected > 0


def test_workers_give_the_same_records(i_him, truth, tmp_path, capsys):
    pred = write_instances(tmp_path / "pred", truth)
    key = sorted(truth)[1]
    cv2.imwrite(str(instance_path(pred, key, 0)), cv2.GaussianBlur(truth[key][0], (9, 9), 3))
    reports = []
    for workers in ("1", "2"):
        target = tmp_path / f"w{workers}.json"
        assert evaluate(capsys, "i-him", i_him, pred, "--protocol", "maggie", "--workers", workers,
                        "--json", str(target))[0] == 0
        reports.append(json.loads(target.read_text()))
    assert reports[0]["samples"] == reports[1]["samples"] and reports[0]["means"] == reports[1]["means"]
    assert reports[0]["means"]["whole"]["sad"] > 0


def test_write_predictions_writes_the_layout_evaluate_reads(i_him, truth, tmp_path, capsys):
    pred = tmp_path / "pred"
    for key, mattes in truth.items():  # floats in [0, 1]: rounded from x * 255
        written = write_predictions(pred, key, np.stack(mattes).astype(np.float32) / 255)
        assert written == [pred / key / f"{k}.png" for k in range(len(mattes))]
    code, _, _ = evaluate(capsys, "i-him", i_him, pred, "--json", str(tmp_path / "s.json"))
    assert code == 0 and all_zero(json.loads((tmp_path / "s.json").read_text())["means"])


def test_write_predictions_names_clip_and_single_files_and_refuses_bad_input(tmp_path):
    clip = np.zeros((2, 3, 4, 5), U8)  # T = 2 frames, K = 3 instances
    clip[1, 2, 0, 0] = 7
    paths = write_predictions(tmp_path, "c", clip)
    assert paths[-1] == tmp_path / "c" / "1" / "2.png"
    assert cv2.imread(str(paths[-1]), cv2.IMREAD_UNCHANGED)[0, 0] == 7
    assert write_predictions(tmp_path, "s", np.zeros((4, 5), U8)) == [tmp_path / "s.png"]
    with pytest.raises(BuildError, match="outside"):
        write_predictions(tmp_path, "x", np.full((2, 2), 1.5))
    with pytest.raises(BuildError, match="one name"):
        write_predictions(tmp_path, "../escape", np.zeros((2, 2), U8))
    with pytest.raises(BuildError, match="do not fit kind"):
        write_predictions(tmp_path, "y", np.zeros((2, 2), U8), kind="clip")
    assert not (tmp_path.parent / "escape.png").exists()


def test_iou_matching_is_instmatts_and_can_differ_from_least_mad():
    # 1 x 10 mattes. g0: pixels 0-1, g1: pixels 2-9. p0 is strong on g0 with a faint (1/255)
    # spill over g1; p1 is one pixel of g1.
    g0, g1 = np.zeros((1, 10), U8), np.zeros((1, 10), U8)
    g0[0, :2], g1[0, 2:] = 255, 255
    p0, p1 = np.full((1, 10), 1, U8), np.zeros((1, 10), U8)
    p0[0, :2], p1[0, 9] = 255, 255
    # IoU of the > 0 masks (rows: predictions): p0 = all 10 pixels -> 2/10 with g0, 8/10 with
    # g1; p1 -> 0 with g0, 1/8 with g1. Best total: p0-g1 + p1-g0 = 0.8 > 0.2 + 0.125.
    assert iou_matrix([p0, p1], [g0, g1]) == pytest.approx(np.array([[0.2, 0.8], [0, 0.125]]))
    assert match_instances([p0, p1], [g0, g1], "iou") == [1, 0]
    # least total MAD: p0-g0 + p1-g1 = (8/255 + 7) / 10 < p0-g1 + p1-g0 = (510 + 2032 + 765) / 2550
    assert match_instances([p0, p1], [g0, g1], "hungarian") == [0, 1]


def test_mask_set_chooses_which_m_him2k_instances_are_evaluated(release, tmp_path, capsys):
    import mattehub

    archive = release / "HIM2K_M-HIM2K.zip"
    absent = {}
    for mask_set in ("r50_c4_3x", "x101_fpn_3x"):
        rows = list(mattehub.stream("m-him2k", archive, "comp", mask_set=mask_set))
        absent[mask_set] = sum(present.count(False) for present in
                               (row["meta"]["mask_present"] for row in rows))
        for row in rows:
            write_predictions(tmp_path / "pred", row["__key__"],
                              np.stack([np.asarray(m) for m in row["instance_alphas"]]))
    assert absent["r50_c4_3x"] != absent["x101_fpn_3x"]  # the stand-in's sets differ
    for mask_set, count in absent.items():
        target = tmp_path / f"{mask_set}.json"
        code, _, _ = evaluate(capsys, "m-him2k", archive, tmp_path / "pred", "--split", "comp",
                              "--mask-set", mask_set, "--json", str(target))
        assert code == 0 and json.loads(target.read_text())["counts"]["instances_without_mask"] == count
