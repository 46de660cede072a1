"""Bad-input rows: damaged Distinctions-646 trees (the ``distinctions-646`` config).

Each case writes a small extracted release (tests/d646_tree.py, OpenCV alone: Train ``a(1)``
and ``b``, Test ``t``, 24 JPEG backgrounds), damages it and runs ``mattehub build
distinctions-646 --num-bgs 2``. An unpaired file is a counted skip in the build record naming
it; a truncated alpha skips its foreground's samples with a ``bad_input`` event naming it; an
unreadable background is skipped at scan; a missing split or too few backgrounds is a clear
error. No case may print a traceback.
"""
from __future__ import annotations

from .harness import Case, Env, Fails, Run, Succeeds, built

CONFIG = "distinctions-646"


def _build(damage, *extra: str, split: str = "train"):
    def run(env: Env) -> Run:
        from d646_tree import write_tree

        data, bg = write_tree(env.tmp / "d646")
        damage(data / "Distinctions-646", bg)
        return env.cli("build", CONFIG, "--data-dir", data, "--bg-root", bg, "--split", split,
                       "--out", env.tmp / "out", "--no-progress", "--num-bgs", "2", *extra)
    return run


def _no_alpha(release, bg) -> None:
    (release / "Train" / "GT" / "b.png").unlink()


def _truncated_alpha(release, bg) -> None:
    path = release / "Train" / "GT" / "b.png"
    path.write_bytes(path.read_bytes()[:60])


def _broken_background(release, bg) -> None:
    (bg / "bg_03.jpg").write_bytes(b"\xff\xd8\xff not a jpeg")


def _no_test(release, bg) -> None:
    import shutil

    shutil.rmtree(release / "Test")


def _skipped_file(path: str, reason: str, made: set[str]):
    """``path`` is named in the build record (its reason holds ``reason``); the samples are
    those of the foregrounds ``made``."""
    def check(env: Env, run: Run) -> None:
        out = built(env, CONFIG)
        skipped = {s["path"]: s["reason"] for s in out.record()["sources"]["skipped_inputs"]}
        assert path in skipped and reason in skipped[path], skipped
        assert {r["meta"]["fg"] for r in out.rows()} == made
        assert "Traceback" not in run.err
    return check


def _skipped_samples(env: Env, run: Run) -> None:
    out = built(env, CONFIG)
    bad = {e["path"] for e in out.events() if e["kind"] == "bad_input"}
    assert bad == {"Train/GT/b.png"}, bad
    assert out.summary()["skipped_samples"] == 2
    assert {r["meta"]["fg"] for r in out.rows()} == {"a(1).png"}


CASES: list[Case] = [
    Case("d646-alpha-missing", "distinctions-646: a foreground without its GT alpha is a counted "
         "skip naming it", _build(_no_alpha), Succeeds(), _skipped_file("Train/FG/b.png", "has no alpha", {"a(1).png"})),
    Case("d646-alpha-truncated", "distinctions-646: a truncated GT alpha skips its foreground's "
         "samples, each counted with a bad_input event naming it", _build(_truncated_alpha),
         Succeeds(), _skipped_samples),
    Case("d646-background-unreadable", "distinctions-646: an unreadable background is skipped at "
         "scan, named in the build record", _build(_broken_background), Succeeds(),
         _skipped_file("bg_03.jpg", "", {"a(1).png", "b.png"})),
    Case("d646-no-test-split", "distinctions-646: a release without Test/ asked for the test split "
         "is a clear error saying what it holds", _build(_no_test, split="test"),
         Fails(r"has no Test/FG folder for split 'test' \(it holds Train\)")),
    Case("d646-too-few-backgrounds", "distinctions-646: --num-bgs above the usable backgrounds is a "
         "clear error", _build(lambda release, bg: None, "--num-bgs", "500"),
         Fails(r"fewer than --num-bgs 500")),
]
