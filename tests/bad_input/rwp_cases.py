"""Bad-input rows: damaged RWP-636 trees (the ``rwp-636`` config).

Each case writes the tree of tests/rwp_tree.py (PIL alone: three image/alpha pairs), damages
it and runs ``mattehub build rwp-636``. A truncated image or an alpha of another size skips its
sample with a ``bad_input`` event naming the file; a tree without ``alpha/`` is a clear error.
No case may print a traceback.
"""
from __future__ import annotations

from .harness import Case, Env, Fails, Run, Succeeds, built

TOP = "RealWorldPortrait-636"


def _build(damage):
    def run(env: Env) -> Run:
        from rwp_tree import write_tree

        root = write_tree(env.tmp / "rwp")
        damage(root / TOP)
        return env.cli("build", "rwp-636", "--data-dir", root, "--out", env.tmp / "out", "--no-progress")
    return run


def _truncate_image(top) -> None:
    path = top / "image" / "01_0002_input.jpg"
    path.write_bytes(path.read_bytes()[:200])


def _alpha_other_size(top) -> None:
    from PIL import Image

    Image.new("L", (9, 9)).save(top / "alpha" / "01_0002_input.png")


def _no_alpha(top) -> None:
    import shutil

    shutil.rmtree(top / "alpha")


def _skipped(path: str, pattern: str):
    def check(env: Env, run: Run) -> None:
        import re

        out = built(env, "rwp-636", "test")
        bad = [e for e in out.events() if e["kind"] == "bad_input"]
        assert [e["path"] for e in bad] == [path], bad
        assert re.search(pattern, bad[0]["reason"]), bad
        assert [r["meta"]["name"] for r in out.rows()] == ["01_0001_input", "03_0100_input"]
        assert "Traceback" not in run.err
    return check


CASES: list[Case] = [
    Case("rwp-image-truncated", "rwp-636: a truncated image skips its sample, counted with a "
         "bad_input event naming it", _build(_truncate_image), Succeeds(),
         _skipped("image/01_0002_input.jpg", r"truncated|corrupt|incomplete|cannot")),
    Case("rwp-alpha-other-size", "rwp-636: an alpha of another size than its image skips its "
         "sample naming it", _build(_alpha_other_size), Succeeds(),
         _skipped("alpha/01_0002_input.png", r"is 9x9 but its image is")),
    Case("rwp-no-alpha-folder", "rwp-636: a tree without alpha/ is a clear error saying where "
         "RWP-636 comes from", _build(_no_alpha), Fails(r"has no alpha/ folder.*MGMatting")),
]
