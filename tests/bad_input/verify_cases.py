"""Bad-input rows: damaged shard folders and ``mattehub verify``.

Each row copies one small finished i-him build (12 samples in shards of 4: shards 0, 1, 2),
damages it and runs ``verify_folder``. A damaged shard must come back as a report with
``ok`` False whose problem lines name the shard file (and the row and field where that
applies), never as a traceback. Damage the stats cannot explain on their own (a swapped
matte, a damaged PNG) is written with the stats updated, so only the content check can
catch it.
"""
from __future__ import annotations

import json
import re
import shutil
import tarfile
from pathlib import Path

import cv2
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mattehub.output.layout import OutputLayout
from mattehub.build.finalize import wids_index
from mattehub.build.sequence import file_digests
from mattehub.output.card import write_card
from mattehub.verify import verify_folder

from .harness import Case, Env, Fails, Run, Succeeds

PARQUET_1 = "i-him/train-000001.parquet"
TAR_1 = "wds/i-him/train-000001.tar"


def built_copy(env: Env) -> Path:
    """A private copy of a small finished i-him build (built once per test session)."""
    from conftest import build_i_him

    cache = env.tmp.parent / "verify-cases-build"
    if not (cache / "_stats" / "i-him" / "train.json").exists():
        shutil.rmtree(cache, ignore_errors=True)
        build_i_him(env.hhm, cache, num_samples=12, max_samples=4)
    out = env.tmp / "out"
    shutil.copytree(cache, out)
    return out


def record_rewrite(out: Path, rel: str) -> None:
    """Update the stats, split summary, wids index and cards of the rewritten shard ``rel``
    (a path relative to ``out``, e.g. ``wds/i-him/train-000001.tar``) so that they agree
    with it."""
    layout = OutputLayout(out)
    config, (split, number) = Path(rel).parent.name, Path(rel).stem.rsplit("-", 1)
    stats_path = layout.shard_stats(config, split, int(number))
    stats = json.loads(stats_path.read_text())
    fmt = next(f for f, info in stats["files"].items() if info["path"] == rel)
    old = stats["files"][fmt]["bytes"]
    stats["files"][fmt].update(file_digests(out / rel, with_md5=fmt == "webdataset"))
    stats_path.write_text(json.dumps(stats))
    summary_path = layout.split_summary(config, split)
    summary = json.loads(summary_path.read_text())
    summary["num_bytes"][fmt] += stats["files"][fmt]["bytes"] - old
    summary["sha256"][fmt][int(number)] = stats["files"][fmt]["sha256"]
    summary_path.write_text(json.dumps(summary))
    if fmt == "webdataset":
        all_stats = [json.loads(layout.shard_stats(config, split, n).read_text())
                     for n in range(summary["shards"])]
        layout.wids_index(config, split).write_text(
            json.dumps(wids_index(layout, config, split, all_stats)))
    write_card(layout)


def _verify(damage):
    """damage(out) -> None, then verify the folder (library call)."""
    def run(env: Env) -> Run:
        out = built_copy(env)
        damage(out)
        return env.call(verify_folder, out, progress=False)
    return run


def _reports(*patterns: str, only: bool = False):
    """The report is not ok and has a line matching each regex (and nothing else, if ``only``)."""
    def then(env: Env, run: Run) -> None:
        report = run.value
        assert not report.ok and report.format().count("\n") >= 1, report.format()
        for pattern in patterns:
            assert any(re.search(pattern, line) for line in report.problems), \
                f"no problem matches {pattern!r}:\n{report.format()}"
        if only:
            assert len(report.problems) == len(patterns), report.format()
    return then


# -- damage -----------------------------------------------------------------------------------
def flip_byte(out: Path) -> None:
    path = out / PARQUET_1
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def delete_middle_shard(out: Path) -> None:
    (out / PARQUET_1).unlink()
    (out / TAR_1).unlink()


def truncate(rel: str):
    def damage(out: Path) -> None:
        path = out / rel
        path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])
    return damage


def swap_instance_matte(out: Path) -> None:
    """Row 1 of shard 1 gets a mirrored first instance matte: same size, valid PNG, and
    stats that agree with the new file; only the alpha/instance consistency check can tell."""
    path = out / PARQUET_1
    table = pq.read_table(path)
    rows = table.to_pylist()
    matte = rows[1]["instance_alphas"][0]
    pixels = cv2.imdecode(np.frombuffer(matte["bytes"], np.uint8), cv2.IMREAD_UNCHANGED)
    mirrored = np.ascontiguousarray(pixels[::-1, ::-1])
    assert not np.array_equal(mirrored, pixels)
    matte["bytes"] = cv2.imencode(".png", mirrored)[1].tobytes()
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    record_rewrite(out, PARQUET_1)


def damage_png_in_tar(out: Path) -> None:
    """One byte inside the IDAT data of row 2's alpha.png, in place (sizes unchanged, sha256
    recorded anew): the tar is sound, only decoding the PNG finds it."""
    path = out / TAR_1
    with tarfile.open(path) as tar:
        member = [m for m in tar.getmembers() if m.name.endswith(".alpha.png")][2]
        data = tar.extractfile(member).read()
    at = member.offset_data + data.index(b"IDAT") + 20
    blob = bytearray(path.read_bytes())
    blob[at] ^= 0x5A
    path.write_bytes(bytes(blob))
    record_rewrite(out, TAR_1)


def add_unrecorded_shard(out: Path) -> None:
    shutil.copy(out / "i-him" / "train-000002.parquet", out / "i-him" / "train-000003.parquet")


def summary_lists_other_shards(out: Path) -> None:
    path = OutputLayout(out).split_summary("i-him", "train")
    summary = json.loads(path.read_text())
    summary["files"]["parquet"] = summary["files"]["parquet"][::-1]
    path.write_text(json.dumps(summary))


def damage_stats(out: Path) -> None:
    (OutputLayout(out).shard_stats("i-him", "train", 1)).write_text('{"files": [], "samples": "x"')


def _delete(rel: str):
    """Damage: delete the file ``rel`` of the folder."""
    def damage(out: Path) -> None:
        (out / rel).unlink()
    return damage


def _edit_json(rel: str, edit):
    """Damage: ``edit(data)`` the JSON file ``rel`` in place (it returns the new data)."""
    def damage(out: Path) -> None:
        path = out / rel
        path.write_text(json.dumps(edit(json.loads(path.read_text()))))
    return damage


def _without(key: str):
    return lambda data: {k: v for k, v in data.items() if k != key}


def _index_of_wrong_types(index: dict) -> dict:
    return {config: {"splits": ",".join(entry["splits"]), "formats": 2}
            for config, entry in index.items()}


def _wrong_md5(index: dict) -> dict:
    index["shardlist"][1]["md5sum"] = "0" * 32
    return index


def replace_wds_card(out: Path) -> None:
    """Another card in place of ``wds/README.md`` (what a second output written into ``wds/``
    leaves): here the Parquet card, declaring ``i-him`` and its Parquet files."""
    shutil.copy(out / "README.md", out / "wds" / "README.md")


def _push_dry_run(damage):
    """damage(out), then ``mattehub push OUT owner/name --dry-run`` (runs verify first)."""
    def run(env: Env) -> Run:
        out = built_copy(env)
        damage(out)
        return env.cli("push", out, "someone/i-him", "--dry-run", "--no-progress")
    return run


def _verify_partly_built(env: Env) -> Run:
    """A planned build of which only shard 1 of 2 was built (``--shard-range 1:``)."""
    out = env.tmp / "out"
    assert env.cli(*env.i_him_args(out, "--shard-range", "1:", num_samples=8)).code == 0
    return env.call(verify_folder, out, progress=False)


def _points_to_finalize(*patterns: str):
    """The report names the split as incomplete, says how to finish it with ``mattehub
    finalize``, and does not advise deleting a stats file."""
    check = _reports(*patterns, only=True)

    def then(env: Env, run: Run) -> None:
        check(env, run)
        text = run.value.format()
        assert f"then run `mattehub finalize {env.tmp / 'out'}`" in text, text
        assert "delete its stats file" not in text, text
    return then


def _file_url(env: Env) -> Run:
    """``mattehub verify file:///...OUT``: the local folder the URL names."""
    return env.cli("verify", built_copy(env).as_uri(), "--no-progress")


def memory_output(env: Env, num_samples: int = 8) -> str:
    """A build written to a fresh ``memory://`` URL (removed after the case)."""
    import uuid

    import fsspec

    url = f"memory://verify-{uuid.uuid4().hex}"
    env.cleanups.append(lambda: fsspec.filesystem("memory").rm(url, recursive=True))
    assert env.cli(*env.i_him_args(url, num_samples=num_samples)).code == 0
    return url


def _memory_url(damage=None):
    """``verify memory://...`` of an output built there (``damage(fs, url)`` first)."""
    def run(env: Env) -> Run:
        import fsspec

        url = memory_output(env)
        if damage:
            damage(fsspec.filesystem("memory"), url)
        return env.call(verify_folder, url, progress=False)
    return run


def flip_remote_byte(fs, url: str) -> None:
    path = f"{url}/i-him/train-000001.parquet"
    data = bytearray(fs.cat_file(path))
    data[len(data) // 2] ^= 0xFF
    fs.pipe_file(path, bytes(data))


def _says_url_ok(pattern: str):
    def then(env: Env, run: Run) -> None:
        text = run.out if run.code is not None else run.value.format()
        assert re.search(pattern, text), text
    return then


def _not_mattehub(env: Env) -> Run:
    folder = env.tmp / "plain"
    (folder / "i-him").mkdir(parents=True)
    (folder / "i-him" / "train-000000.parquet").write_bytes(b"PAR1")
    return env.cli("verify", folder, "--no-progress")


def _clean_cli(env: Env) -> Run:
    return env.cli("verify", built_copy(env), "--no-progress")


def _says_ok(env: Env, run: Run) -> None:
    assert ": OK (1 split, 6 shard files, 24 rows checked)" in run.out, run.out


def _resume_after(damage):
    """damage(out), then re-run the same build into it (resume)."""
    def run(env: Env) -> Run:
        from conftest import build_i_him

        out = built_copy(env)
        env.before = {rel: data for rel, data in env.snapshot(out).items()
                      if rel.endswith((".parquet", ".tar"))}
        damage(out)
        return env.call(build_i_him, env.hhm, out, num_samples=12, max_samples=4)
    return run


def _only_shard_1_redone(env: Env, run: Run) -> None:
    """Shards 0 and 2 kept, the damaged shard 1 rebuilt to the original bytes."""
    assert run.value.reused_shards == 2, run.value
    shards = {rel: data for rel, data in env.snapshot(env.tmp / "out").items()
              if rel.endswith((".parquet", ".tar"))}
    assert shards == env.before


def _stream_damaged(env: Env) -> Run:
    import mattehub

    out = built_copy(env)
    truncate(PARQUET_1)(out)
    return env.call(lambda: list(mattehub.stream("i-him", str(out))))


CASES: list[Case] = [
    Case("resume-redoes-flipped-byte-shard", "7.7: resume checks the recorded sha256, not the size",
         _resume_after(flip_byte), Succeeds(), _only_shard_1_redone),
    Case("resume-redoes-deleted-middle-shard", "7.7: a deleted middle shard is rebuilt on resume",
         _resume_after(delete_middle_shard), Succeeds(), _only_shard_1_redone),
    Case("stream-truncated-parquet", "clear errors: loading a truncated Parquet shard names it",
         _stream_damaged, Fails(rf"{PARQUET_1}: is not a readable Parquet shard.*mattehub verify")),
    Case("verify-clean-build-ok", "verify: a sound folder exits 0 with a one-line OK report",
         _clean_cli, Succeeds(), _says_ok),
    Case("verify-flipped-byte", "verify: a flipped byte in a shard is a sha256 problem naming it",
         _verify(flip_byte), Succeeds(),
         _reports(rf"^{PARQUET_1}: sha256 is \w+, _stats/i-him/train-000001\.json records")),
    Case("verify-deleted-middle-shard", "verify: a deleted middle shard is reported missing",
         _verify(delete_middle_shard), Succeeds(),
         _reports(rf"^{PARQUET_1}: missing", rf"^{TAR_1}: missing", only=True)),
    Case("verify-swapped-matte", "verify: an instance matte that does not add up to alpha",
         _verify(swap_instance_matte), Succeeds(),
         _reports(rf"^{PARQUET_1}: row 1 \(key 00000005\), alpha: differs from min\(255, sum of "
                  r"its \d instance_alphas\)", only=True)),
    Case("verify-truncated-tar", "verify: a truncated tar names the shard and the row it breaks at",
         _verify(truncate(TAR_1)), Succeeds(),
         _reports(rf"^{TAR_1}: is \d+ bytes, .* records \d+",
                  rf"^{TAR_1}: row \d: the tar is truncated or damaged here")),
    Case("verify-truncated-parquet", "verify: a truncated Parquet shard is named, no traceback",
         _verify(truncate(PARQUET_1)), Succeeds(),
         _reports(rf"^{PARQUET_1}: cannot be opened as Parquet")),
    Case("verify-damaged-png", "verify: a damaged PNG inside a row names shard, row and field",
         _verify(damage_png_in_tar), Succeeds(),
         _reports(rf"^{TAR_1}: row 2 \(key 00000006\), alpha: is a damaged PNG", only=True)),
    Case("verify-unrecorded-shard", "verify: a shard file no stats record is reported",
         _verify(add_unrecorded_shard), Succeeds(),
         _reports(r"^i-him/train-000003\.parquet: not recorded in any shard stats", only=True)),
    Case("verify-summary-disagrees", "verify: a split summary whose shard list is not the stats'",
         _verify(summary_lists_other_shards), Succeeds(),
         _reports(r"^_stats/i-him/train\.json: lists \['i-him/train-000002\.parquet', .* as the "
                  r"parquet shards, but the shard stats record \['i-him/train-000000\.parquet'",
                  only=True)),
    Case("verify-damaged-stats", "verify: an unreadable shard stats file is named; its shard "
         "files then count as unrecorded", _verify(damage_stats), Succeeds(),
         _reports(r"^_stats/i-him/train-000001\.json: not readable JSON",
                  rf"^{PARQUET_1}: not recorded in any shard stats",
                  rf"^{TAR_1}: not recorded in any shard stats", only=True)),
    Case("verify-deleted-folder-index", "19.4: a deleted _stats/index.json (loaders find the "
         "configs there)", _verify(_delete("_stats/index.json")), Succeeds(),
         _reports(r"^_stats/index\.json: missing \(loaders find", only=True)),
    Case("verify-folder-index-wrong-types", "19.4: _stats/index.json with a string for the "
         "splits and a number for the formats",
         _verify(_edit_json("_stats/index.json", _index_of_wrong_types)), Succeeds(),
         _reports(r"^_stats/index\.json: declares i-him: train, the split summaries i-him: "
                  r"\['train'\]", only=True)),
    Case("verify-summary-without-features", "19.4: a split summary without `features` (the "
         "card and every loader read them)",
         _verify(_edit_json("_stats/i-him/train.json", _without("features"))), Succeeds(),
         _reports(r"^_stats/i-him/train\.json: features: missing \(a damaged split summary\)",
                  only=True)),
    Case("verify-summary-wrong-types", "19.4: a split summary whose num_examples is text",
         _verify(_edit_json("_stats/i-him/train.json",
                            lambda data: data | {"num_examples": "12"})), Succeeds(),
         _reports(r"^_stats/i-him/train\.json: num_examples: is str, not int", only=True)),
    Case("verify-deleted-wids-index", "19.4: a deleted wids index",
         _verify(_delete("wds/i-him/train.index.json")), Succeeds(),
         _reports(r"^wds/i-him/train\.index\.json: missing \(the wids index", only=True)),
    Case("verify-wids-index-wrong-md5", "19.4: a wids index listing a wrong md5",
         _verify(_edit_json("wds/i-him/train.index.json", _wrong_md5)), Succeeds(),
         _reports(r"^wds/i-him/train\.index\.json: does not list the tars as their shard stats "
                  r"record them \(train-000001\.tar: md5sum differ\)", only=True)),
    Case("verify-deleted-preview", "19.4: a deleted preview sheet",
         _verify(_delete("preview/i-him/train.png")), Succeeds(),
         _reports(r"^preview/i-him/train\.png: missing \(the preview sheet of i-him/train\)",
                  only=True)),
    Case("verify-damaged-preview", "19.4: a preview sheet that is not a PNG any more",
         _verify(truncate("preview/i-him/train.png")), Succeeds(),
         _reports(r"^preview/i-him/train\.png: not a readable PNG", only=True)),
    Case("verify-deleted-build-record", "19.4: a deleted build record",
         _verify(_delete("_stats/i-him/train.build.json")), Succeeds(),
         _reports(r"^_stats/i-him/train\.build\.json: missing \(the build record", only=True)),
    Case("verify-replaced-wds-card", "19.4: wds/README.md replaced by another card",
         _verify(replace_wds_card), Succeeds(),
         _reports(r"^wds/README\.md: is not the card the split summaries make", only=True)),
    Case("verify-deleted-card", "19.4: a deleted README.md", _verify(_delete("README.md")),
         Succeeds(), _reports(r"^README\.md: missing \(the dataset card of the parquet shards",
                              only=True)),
    Case("push-dry-run-refuses-wrong-md5", "19.4: `push --dry-run` runs verify, so it refuses "
         "a wids index with a wrong md5", _push_dry_run(_edit_json("wds/i-him/train.index.json",
                                                                   _wrong_md5)),
         Fails(r"verify found 1 problem; nothing was uploaded\n.*\n  wds/i-him/train\.index\.json: "
               r"does not list the tars")),
    Case("push-dry-run-refuses-replaced-card", "19.4: `push --dry-run` refuses a replaced "
         "wds/README.md", _push_dry_run(replace_wds_card),
         Fails(r"verify found 1 problem; nothing was uploaded\n.*\n  wds/README\.md: is not the card")),
    Case("verify-incomplete-planned-build", "19: verify on a planned build with a range still "
         "missing says the split is incomplete, which shards and ranges, and `mattehub finalize`",
         _verify_partly_built, Succeeds(),
         _points_to_finalize(r"^i-him/train: incomplete: 1 of 2 shards missing \(shards 0; "
                             r"--index-range 0:4\); not finalised, so _stats/i-him/train\.json "
                             r"is not written yet$")),
    Case("verify-complete-not-finalised", "19: every shard there but no split summary: run "
         "`mattehub finalize`, not delete a stats file",
         _verify(_delete("_stats/i-him/train.json")), Succeeds(),
         _reports(r"^i-him/train: all 3 shards complete but not finalised "
                  r"\(_stats/i-him/train\.json missing\): run `mattehub finalize .*/out`$",
                  only=True)),
    Case("verify-file-url", "19: `verify file:///OUT` verifies the folder the URL names",
         _file_url, Succeeds(), _says_url_ok(r"^file:///.*/out: OK \(1 split, 6 shard files, "
                                            r"24 rows checked\)")),
    Case("verify-memory-url", "19: `verify memory://OUT` reads the output through fsspec",
         _memory_url(), Succeeds(),
         _says_url_ok(r"^memory://verify-\w+: OK \(1 split, 4 shard files, 16 rows checked\)")),
    Case("verify-memory-url-damaged", "19: a damaged shard of a memory:// output is named",
         _memory_url(flip_remote_byte), Succeeds(),
         _reports(rf"^{PARQUET_1}: sha256 is \w+, _stats/i-him/train-000001\.json records")),
    Case("verify-missing-memory-url", "19: a memory:// URL where nothing was built",
         lambda env: env.cli("verify", "memory://verify-nothing-here", "--no-progress"),
         Fails(r"memory://verify-nothing-here: does not exist or holds no files")),
    Case("verify-http-url", "19: plain HTTP cannot be listed: a clear error",
         lambda env: env.cli("verify", "http://127.0.0.1:9/out", "--no-progress"),
         Fails(r"http://127\.0\.0\.1:9/out: verify must list the folder's files, which plain "
               r"HTTP cannot")),
    Case("verify-not-mattehub-folder", "verify: a folder without _stats/ is a clear error (exit 2)",
         _not_mattehub, Fails(r"plain: not a mattehub output folder \(it has no _stats/")),
]
