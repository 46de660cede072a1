"""Bad-input rows: damaged i-him synthesis sources (HHM foregrounds, backgrounds, name lists)
and a half-written shard left by an earlier run.

A damaged source file is a counted skip naming it (in the build record when the scan finds
it, in the shard stats when a sample meets it); the samples that are written never use it.
"""
from __future__ import annotations

import shutil

import datasets
import numpy as np
from PIL import Image

from mattehub.output.layout import OutputLayout
from mattehub.inputs.listing import read_name_list

from .harness import Case, Env, Run, Succeeds, built


def _build(damage, num_samples: int = 4):
    """damage(sources), then build i-him from them into ``tmp/out``."""
    def run(env: Env) -> Run:
        from conftest import build_i_him

        src = env.sources()
        damage(src)
        return env.call(build_i_him, src, env.tmp / "out", num_samples=num_samples)
    return run


def _record(env: Env) -> dict:
    return built(env, "i-him").record()


def _stats(env: Env) -> list[dict]:
    return built(env, "i-him").stats()


def _scan_skip(name: str, reason: str):
    def check(env: Env, run: Run) -> None:
        found = [s["reason"] for s in _record(env)["sources"]["skipped_inputs"] if name in s["path"]]
        assert found and reason in found[0], _record(env)["sources"]["skipped_inputs"]
    return check


def _truncated_body_counted(env: Env, run: Run) -> None:
    events = [e for s in _stats(env) for e in s["events"] if e["kind"] == "bad_input"]
    assert events and all("person_003.jpg" in e["path"] and "truncated JPEG" in e["reason"]
                          for e in events)
    for stats in _stats(env):
        assert stats["event_counts"].get("bad_input", 0) == \
            sum(e["kind"] == "bad_input" for e in stats["events"])


def _narrow_background(src) -> None:
    shutil.rmtree(src.bg_root)
    src.bg_root.mkdir()
    Image.fromarray(np.full((400, 40, 3), 90, np.uint8)).save(src.bg_root / "narrow.jpg")


def _all_ids_skipped(env: Env, run: Run) -> None:
    stats = _stats(env)[0]
    assert stats["samples"] == 0 and [s["index"] for s in stats["skipped_samples"]] == [0, 1, 2]
    dropped = [e for e in stats["events"] if e["kind"] == "dropped_instance"]
    assert dropped and "wider than the 40 px background" in dropped[0]["reason"]
    assert stats["event_counts"]["skipped_sample"] == 3


def _rotated_background(src) -> None:
    shutil.rmtree(src.bg_root)
    src.bg_root.mkdir()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when displayed
    stored = np.zeros((300, 500, 3), np.uint8)
    stored[:, :250] = (200, 30, 30)
    Image.fromarray(stored).save(src.bg_root / "rotated.jpg", exif=exif, quality=95)


def _loads_upright(env: Env, run: Run) -> None:
    """datasets applies EXIF orientation: bg must show the pixels the composite used."""
    row = next(iter(datasets.load_dataset(str(env.tmp / "out"), "i-him", split="train",
                                          streaming=True)))
    assert (row["meta"]["width"], row["meta"]["height"]) == (300, 500)
    assert row["bg"].size == row["image"].size == (300, 500)


def _name_list(text: str):
    def run(env: Env) -> Run:
        src = env.sources()
        src.invalid_names.write_text(text, encoding="utf-8", newline="")
        return env.call(read_name_list, src.invalid_names)
    return run


def _names_are(*names: str):
    def check(env: Env, run: Run) -> None:
        assert run.value == set(names)
    return check


def _half_shard_left(env: Env) -> Run:
    """An earlier run left shard 1 half-written under its final name, without stats, plus a
    temp file: the re-run keeps the complete shards 0 and 2 and rewrites shard 1 to the same
    bytes."""
    from conftest import build_i_him

    out = env.tmp / "out"
    assert env.call(build_i_him, env.hhm, out).error is None
    env.before = {rel: data for rel, data in env.snapshot(out).items()
                  if rel.endswith((".parquet", ".tar"))}
    layout = OutputLayout(out)
    layout.shard_stats("i-him", "train", 1).unlink()
    shard = layout.shard("i-him", "train", 1, "parquet")
    shard.write_bytes(shard.read_bytes()[:100])
    (out / "i-him" / "train-000001.parquet.tmp-999").write_bytes(b"partial")
    return env.call(build_i_him, env.hhm, out)


def _rebuilt_identically(env: Env, run: Run) -> None:
    out = env.tmp / "out"
    assert run.value.reused_shards == 2
    assert {rel: data for rel, data in env.snapshot(out).items()
            if rel.endswith((".parquet", ".tar"))} == env.before
    assert not list(out.rglob("*.tmp-*"))


CASES: list[Case] = [
    Case("hhm-image-without-alpha", "synthesis: counted skip in the build record",
         _build(lambda s: (s.image_root / "alphas" / "person_000.png").unlink()), Succeeds(),
         _scan_skip("person_000", "no alpha matte at alphas/person_000.png")),
    Case("hhm-alpha-of-another-size", "synthesis: counted skip in the build record",
         _build(lambda s: Image.new("L", (10, 10)).save(s.image_root / "alphas" / "person_001.png")),
         Succeeds(), _scan_skip("person_001", "but its alpha alphas/person_001.png is 10x10")),
    Case("hhm-image-header-unreadable", "synthesis: counted skip in the build record",
         _build(lambda s: (s.image_root / "images" / "person_002.jpg").write_bytes(b"not an image")),
         Succeeds(), _scan_skip("person_002", "is not a readable image")),
    Case("hhm-image-body-truncated", "synthesis: header intact, data cut: bad_input events",
         _build(lambda s: (s.image_root / "images" / "person_003.jpg").write_bytes(
             (s.image_root / "images" / "person_003.jpg").read_bytes()[:2000]), num_samples=30),
         Succeeds(), _truncated_body_counted),
    Case("background-narrower-than-instances", "synthesis: every id skipped, reasons counted",
         _build(_narrow_background, num_samples=3), Succeeds(), _all_ids_skipped),
    Case("background-exif-rotated", "synthesis: bg loads upright like the composite",
         _build(_rotated_background, num_samples=2), Succeeds(), _loads_upright),
    Case("invalid-names-crlf-and-blanks", "name lists: CRLF, blank and space-only lines",
         _name_list("\r\nperson_004.jpg\r\n\r\n  \r\n"), Succeeds(), _names_are("person_004.jpg")),
    Case("invalid-names-bom", "name lists: a UTF-8 BOM", _name_list("\ufeffperson_004.jpg\n\n"),
         Succeeds(), _names_are("person_004.jpg")),
    Case("invalid-names-empty", "name lists: an empty file filters nothing", _name_list(""),
         Succeeds(), _names_are()),
    Case("half-written-shard-without-stats", "resume: a shard with no stats is redone",
         _half_shard_left, Succeeds(), _rebuilt_identically),
]
