"""Bad-input rows: Adobe's public Deep Image Matting release read in place (composition-1k).

Each case writes the stand-in release (tests/aim_release.py: Info-ZIP layout, 2 test
foregrounds x 20 listed VOC backgrounds, the last background absent from ``voc/``), damages
its extracted folder or the background folder and runs ``mattehub build composition-1k``.
A member or background that is not there is a listed skip naming it; a background that only
decoding can judge is a counted skip naming it; name lists that do not pair are a clear
error before anything is written. No case may print a traceback.
"""
from __future__ import annotations

from .harness import Case, Env, Fails, Run, Succeeds, built

LAST_BG = "2008_000039.jpg"
"""The listed background the stand-in leaves out of ``voc/``."""


def _build(damage):
    def run(env: Env) -> Run:
        from aim_release import make_adobe_release

        release = make_adobe_release(env.tmp / "src")
        damage(release)
        return env.cli("build", "composition-1k", "--data-dir", release.extracted, "--bg-root",
                       release.voc, "--out", env.tmp / "out", "--no-progress")
    return run


def _none(release) -> None:
    pass


def _bg_truncated(release) -> None:
    path = release.voc / release.bg_names[3]
    path.write_bytes(path.read_bytes()[:200])


def _alpha_missing(release) -> None:
    release.member(f"Combined_Dataset/Test_set/Adobe-licensed images/alpha/{release.fg_names[0]}").unlink()


def _lists_uneven(release) -> None:
    names = release.member("Combined_Dataset/Test_set/test_bg_names.txt")
    names.write_text("\r\n".join(release.bg_names[:-1]) + "\r\n")


def _skipped(env: Env) -> dict[str, str]:
    record = built(env, "composition-1k", "test").record()
    return {s["path"]: s["reason"] for s in record["sources"]["skipped_inputs"]}


def _missing_bg_listed(env: Env, run: Run) -> None:
    assert _skipped(env) == {"Test_set/Adobe-licensed images/trimaps/boy-1518482_1920_19.png":
                             f"has no --bg-root {LAST_BG}"}
    assert len(built(env, "composition-1k", "test").rows()) == 39


def _bg_counted(env: Env, run: Run) -> None:
    out = built(env, "composition-1k", "test")
    assert out.summary()["skipped_samples"] == 1
    bad = [e for e in out.events() if e["kind"] == "bad_input"]
    assert len(bad) == 1 and "2008_000003.jpg" in bad[0]["path"], bad
    assert len(out.rows()) == 38


def _alpha_listed(env: Env, run: Run) -> None:
    skipped = _skipped(env)
    first = [p for p, reason in skipped.items() if "alpha/16452523375_08591714cf_o.png" in reason]
    assert len(first) == 20 and len(skipped) == 21, skipped
    assert len(built(env, "composition-1k", "test").rows()) == 19


def _nothing_written(env: Env, run: Run) -> None:
    assert not (env.tmp / "out").exists() or not list((env.tmp / "out").rglob("*.parquet"))


CASES: list[Case] = [
    Case("adobe-release-missing-background", "composition-1k from the public release: a listed "
         "VOC background absent from --bg-root is a listed skip naming it",
         _build(_none), Succeeds(), _missing_bg_listed),
    Case("adobe-release-background-truncated", "composition-1k from the public release: a cut "
         "VOC background is a counted skip naming it", _build(_bg_truncated), Succeeds(), _bg_counted),
    Case("adobe-release-alpha-missing", "composition-1k from the public release: a foreground "
         "without its alpha: its 20 composites are listed skips naming the alpha",
         _build(_alpha_missing), Succeeds(), _alpha_listed),
    Case("adobe-release-lists-uneven", "composition-1k from the public release: a background "
         "list that does not give every foreground the same count is an error naming the release",
         _build(_lists_uneven), Fails(r"lists 2 test foregrounds and 39 backgrounds"), _nothing_written),
]
