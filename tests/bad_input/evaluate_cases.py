"""Bad-input rows: ``mattehub evaluate`` on damaged prediction folders, and
``load_dataset("mattehub", ...)`` made on the fly from bad options or damaged sources.

Predictions start as a perfect copy of a small i-him build's instance mattes
(``PRED/<__key__>/<k>.png``); each row damages them one way. A file the one gate refuses
(damaged, another size, not an 8-bit single-channel matte) stops the run with an error
naming it; a missing file is scored as all-zero and listed.
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from mattehub.streaming.loading import stream

from .harness import Case, Env, Fails, Run, Succeeds, built
from .verify_cases import built_copy


def _predictions(env: Env) -> tuple[Path, Path]:
    """(a built i-him folder, a perfect prediction folder for it)."""
    out = built_copy(env)
    pred = env.tmp / "pred"
    for row in built(env, "i-him").rows():
        for k, matte in enumerate(row["instance_alphas"]):
            path = pred / row["__key__"] / f"{k}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(matte["bytes"])
    return out, pred


def _first(pred: Path) -> Path:
    return sorted(pred.glob("*/0.png"))[0]


def evaluate_damaged(damage):
    def run(env: Env) -> Run:
        out, pred = _predictions(env)
        damage(pred)
        return env.cli("evaluate", "i-him", "--data-dir", out, "--pred", pred,
                       "--json", env.tmp / "report.json", "--no-progress")
    return run


def _truncate(pred: Path) -> None:
    path = _first(pred)
    path.write_bytes(path.read_bytes()[:-30])


def _resize(pred: Path) -> None:
    cv2.imwrite(str(_first(pred)), np.zeros((7, 9), np.uint8))


def _colour(pred: Path) -> None:
    path = _first(pred)
    matte = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(str(path), cv2.merge([matte, matte // 2, matte]))


def _sixteen_bit(pred: Path) -> None:
    path = _first(pred)
    matte = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(str(path), matte.astype(np.uint16) * 257)


def _as_jpeg(pred: Path) -> None:
    path = _first(pred)
    cv2.imwrite(str(path.with_suffix(".jpg")), cv2.imread(str(path), cv2.IMREAD_GRAYSCALE))
    path.unlink()


def _jpeg_named_png(pred: Path) -> None:
    path = _first(pred)
    ok, data = cv2.imencode(".jpg", cv2.imread(str(path), cv2.IMREAD_GRAYSCALE))
    path.write_bytes(data.tobytes())


def _png_and_jpeg(pred: Path) -> None:
    path = _first(pred)
    cv2.imwrite(str(path.with_suffix(".jpg")), cv2.imread(str(path), cv2.IMREAD_GRAYSCALE))


def evaluate_json_to(where):
    """A valid evaluation whose ``--json`` is ``where(env)``: refused before scoring."""
    def run(env: Env) -> Run:
        out, pred = _predictions(env)
        target = where(env)
        env.before = env.snapshot()
        return env.cli("evaluate", "i-him", "--data-dir", out, "--pred", pred, "--json", target,
                       "--no-progress")
    return run


def _json_folder(env: Env) -> Path:
    (env.tmp / "scores").mkdir()
    return env.tmp / "scores"


def _nothing_written(env: Env, run: Run) -> None:
    assert "samples" not in run.out, "refused after scoring"
    assert env.snapshot() == env.before, "a refused evaluation left a file (a temp file?)"


def _remove(pred: Path) -> None:
    _first(pred).unlink()


def _rename_all(pred: Path) -> None:
    for path in list(pred.glob("*/*.png")):
        path.rename(path.with_name(f"alpha_{path.name}"))


def _missing_is_listed(env: Env, run: Run) -> None:
    report = json.loads((env.tmp / "report.json").read_text())
    assert report["counts"]["missing_predictions"] == 1
    assert report["missing"][0].endswith("/0.png")
    assert "1 missing predictions scored as all-zero mattes" in run.out


def stream_on_the_fly(**options):
    def run(env: Env) -> Run:
        src = env.sources()
        return env.call(lambda: list(stream("i-him", str(src.image_root), bg_root=str(src.bg_root),
                                            num_samples=2, **options)))
    return run


def stream_damaged_sources(env: Env) -> Run:
    """Sample 0's first foreground truncated in the HHM sources: the stream makes exactly
    what a build over the same sources makes."""
    src = env.sources()
    first = stream("i-him", str(src.image_root), bg_root=str(src.bg_root), num_samples=1)
    victim = src.image_root / next(iter(first))["meta"]["instances"][0]["source"]
    victim.write_bytes(victim.read_bytes()[: len(victim.read_bytes()) // 2])
    run = env.cli(*env.i_him_args(env.tmp / "out", num_samples=6))
    assert run.code == 0, run.err
    streamed = env.call(lambda: list(stream("i-him", str(src.image_root), bg_root=str(src.bg_root),
                                            num_samples=6).decode(False)))
    streamed.value = (streamed.value, built(env, "i-him").rows(), victim.name)
    return streamed


def _stream_equals_build(env: Env, run: Run) -> None:
    rows, built_rows, victim = run.value
    assert rows == built_rows and len(rows) == 6
    events = json.dumps(built(env, "i-him").events())
    assert victim in events and "truncated" in events, "the damaged foreground is named in the stats"


CASES = [
    Case("evaluate-truncated-prediction", "evaluate: a truncated prediction PNG",
         evaluate_damaged(_truncate), Fails(r"pred/.*/0\.png: is a damaged PNG")),
    Case("evaluate-prediction-wrong-size", "evaluate: a prediction of another size",
         evaluate_damaged(_resize), Fails(r"pred/.*/0\.png: is 9x7 but its image is \d+x\d+")),
    Case("evaluate-colour-prediction", "evaluate: a colour PNG as a prediction",
         evaluate_damaged(_colour),
         Fails(r"pred/.*/0\.png: refused: it is 8-bit, 3 channel\(s\), and a prediction must "
               r"be an 8-bit single-channel matte \(scored as written, never converted\) "
               r"\(write each predicted matte as an 8-bit single-channel PNG")),
    Case("evaluate-16-bit-prediction", "evaluate: a 16-bit PNG as a prediction (the message "
         "said it was converted)", evaluate_damaged(_sixteen_bit),
         Fails(r"pred/.*/0\.png: refused: it is 16-bit, 1 channel\(s\), and a prediction must "
               r"be an 8-bit single-channel matte")),
    Case("evaluate-jpeg-prediction", "evaluate: a prediction saved as JPEG (was counted missing "
         "and scored zero)", evaluate_damaged(_as_jpeg),
         Fails(r"pred/.*/0\.jpg: is a JPEG: a lossy matte is not evaluated silently \(save "
               r"predictions as PNG, or pass --allow-jpeg")),
    Case("evaluate-jpeg-named-png", "evaluate: JPEG bytes under a .png name",
         evaluate_damaged(_jpeg_named_png), Fails(r"pred/.*/0\.png: is a JPEG: a lossy matte")),
    Case("evaluate-png-and-jpeg-for-one-instance", "evaluate: 0.png and 0.jpg for one instance",
         evaluate_damaged(_png_and_jpeg), Fails(r"pred/.*/0\.(png|jpg): names the same number as")),
    Case("evaluate-json-to-a-folder", "evaluate --json FOLDER: a traceback after scoring and a "
         "temp file left", evaluate_json_to(_json_folder),
         Fails(r"--json .*scores: is a folder: give the path of the file"), _nothing_written),
    Case("evaluate-json-missing-parent", "evaluate --json under a missing folder",
         evaluate_json_to(lambda env: env.tmp / "missing" / "scores.json"),
         Fails(r"--json .*missing/scores\.json: its folder .*missing does not exist"),
         _nothing_written),
    Case("evaluate-missing-prediction", "evaluate: one prediction file missing",
         evaluate_damaged(_remove), Succeeds(), _missing_is_listed),
    Case("evaluate-no-prediction-found", "evaluate: files named outside the layout",
         evaluate_damaged(_rename_all), Fails(r"pred.*no prediction")),
    Case("stream-bad-option-value", "load_dataset on the fly: a bad option value",
         stream_on_the_fly(jpeg_quality=0), Fails(r"jpeg_quality='?0'?: ")),
    Case("stream-foreign-option", "load_dataset on the fly: another config's option",
         stream_on_the_fly(layout="dim"), Fails(r"^layout= does not apply to i-him; its own "
                                                r"options: bg_root=")),
    Case("stream-misspelled-option", "load_dataset on the fly: a misspelled keyword",
         stream_on_the_fly(jpeg_qualty=90),
         Fails(r"^jpeg_qualty= is not an option of i-him \(did you mean jpeg_quality=\?\); "
               r"its options: .*jpeg_quality=")),
    Case("stream-on-off-as-text", "load_dataset on the fly: an on/off option given as text",
         stream_on_the_fly(no_fg="yes"), Fails(r"^no_fg='yes': give True or False \[--no-fg\]$")),
    Case("stream-damaged-source", "load_dataset on the fly over a damaged foreground",
         stream_damaged_sources, Succeeds(), _stream_equals_build),
]
