"""Bad-input rows: damaged PPM-100 trees (the ``ppm-100`` config).

Each case writes a small PPM-100 tree (tests/ppm_tree.py, written without mattehub:
``10023``, ``10488``, ``11295``), damages it and builds it. Two mattes for one image (a PNG
and a JPEG) leave that image out, naming both; a matte without an image is a counted skip
naming it; a split PPM-100 does not have is a clear error. No case may print a traceback.
"""
from __future__ import annotations

from .harness import Case, Env, Fails, Run, Succeeds, built


def _build(damage, split: str = "test"):
    def run(env: Env) -> Run:
        from ppm_tree import make_ppm_tree

        tree = make_ppm_tree(env.tmp / "src")
        damage(tree)
        return env.cli("build", "ppm-100", "--out", env.tmp / "out", "--split", split,
                       "--data-dir", tree.root, "--no-progress")
    return run


def _skipped(want: dict[str, str], used: tuple[str, ...]):
    def check(env: Env, run: Run) -> None:
        import re

        assert "Traceback" not in run.err and "Traceback" not in run.out, run.err
        out = built(env, "ppm-100", "test")
        found = {s["path"]: s["reason"] for s in out.record()["sources"]["skipped_inputs"]}
        assert set(found) == set(want) and all(re.search(want[p], found[p]) for p in want), found
        assert [r["meta"]["name"] for r in out.rows()] == list(used)
    return check


def _second_matte(tree) -> None:
    tree.write("matte/10488.jpg", tree.files["image/10488.jpg"])


CASES: list[Case] = [
    Case("ppm-two-mattes", "ppm-100: a PNG and a JPEG matte for one image: which one pairs is "
         "unclear, so the image is left out, every file named",
         _build(_second_matte), Succeeds(), _skipped({
             "matte/10488.png": r"shares its stem", "matte/10488.jpg": r"shares its stem",
             "image/10488.jpg": r"has no alpha matte"}, ("10023", "11295"))),
    Case("ppm-matte-without-image", "ppm-100: a matte without its image is a counted skip naming "
         "it", _build(lambda tree: tree.remove("image/11295.jpg")), Succeeds(),
         _skipped({"matte/11295.png": r"has no JPEG image \(image/11295\.jpg\)"},
                  ("10023", "10488"))),
    Case("ppm-no-such-split", "ppm-100 has one split, test: another is a clear error naming it",
         _build(lambda tree: None, split="train"), Fails(r"ppm-100 has the split test.*'train'")),
]
