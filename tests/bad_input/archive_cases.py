"""Bad-input rows: zip archives and ``mattehub reassemble``.

Archives are made by Info-ZIP itself (``zip -s 64k``: a split archive of several parts). A
damaged member must fail the reassembly with an error naming the member and the part
holding it, and leave neither the output nor a temp file behind; an ``--out`` that would
overwrite the input, is a folder, or lies in a missing folder is refused before anything is
written.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from mattehub.inputs.archives import SplitZip, records

from .harness import Case, Env, Fails, Run, Succeeds

DAMAGED = "data/text20.txt"


def split_archive(env: Env) -> Path:
    """A fresh Info-ZIP split archive (``arch.z01 ..`` + ``arch.zip``) in the workspace."""
    from test_splitzip import ZIP, zip_split

    if ZIP is None:
        pytest.skip("Info-ZIP `zip` is required (apt-get install zip)")
    return zip_split(env.tmp, "-s", "64k", name="arch")[1]


def flip_member_byte(path: Path, name: str) -> str:
    """Flip one byte in the middle of member ``name``'s compressed data; its part's path."""
    archive = SplitZip(str(path))
    member = archive.member(name)
    header = archive.parts.read(member.offset, records.LOCAL_SIZE)
    at = member.offset + records.local_data_start(header) + member.compressed_size // 2
    part, offset = archive.parts.locate(at)
    blob = bytearray(Path(part).read_bytes())
    blob[offset] ^= 0x55
    Path(part).write_bytes(bytes(blob))
    return part


def _reassemble_damaged(env: Env) -> Run:
    path = split_archive(env)
    env.before = {"part": flip_member_byte(path, DAMAGED)}
    return env.cli("reassemble", path, "--out", env.tmp / "joined.zip", "--no-progress")


def _nothing_left(env: Env, run: Run) -> None:
    assert not (env.tmp / "joined.zip").exists()
    assert not list(env.tmp.glob("joined.zip*")), "a temp file was left behind"
    part = Path(env.before["part"]).name
    assert re.search(rf"{re.escape(part)}.*member '{DAMAGED}' is corrupt", run.err), run.err


def _out_is(choose):
    """Reassemble into ``choose(env, archive)``; the archive parts are snapshotted first."""
    def run(env: Env) -> Run:
        path = split_archive(env)
        out = choose(env, path)
        env.before = env.snapshot(path.parent)
        return env.cli("reassemble", path, "--out", out, "--no-progress")
    return run


def _parts_untouched(env: Env, run: Run) -> None:
    folder = env.tmp / "arch"
    assert env.snapshot(folder) == env.before, "a refused reassembly changed the archive folder"


def _symlink_to_last_part(env: Env, path: Path) -> Path:
    link = env.tmp / "link.zip"
    link.symlink_to(path)
    return link


def _duts_zip_with_backslashes(env: Env) -> Run:
    """DUTS-TR.zip written as some Windows tools write zips: member names separated by
    ``\\`` (the zip format says ``/``); ``mattehub build duts`` must find its folders."""
    import zipfile

    from duts_tree import make_duts_tree

    tree = make_duts_tree(env.tmp / "DUTS", sets={"DUTS-TR": (("a", 40, 30), ("b", 30, 44))})
    data = env.tmp / "zips"
    data.mkdir()
    with zipfile.ZipFile(data / "DUTS-TR.zip", "w") as archive:
        for relative, blob in sorted(tree.files.items()):
            archive.writestr(relative.replace("/", "\\"), blob)
    assert "\\" in zipfile.ZipFile(data / "DUTS-TR.zip").namelist()[0]
    return env.cli("build", "duts", "--out", env.tmp / "out", "--data-dir", data, "--no-progress")


def _both_pairs_built(env: Env, run: Run) -> None:
    from .harness import built

    out = built(env, "duts")
    assert [r["meta"]["name"] for r in out.rows()] == ["a", "b"]
    assert [r["meta"]["paths"]["image"] for r in out.rows()] == \
        ["DUTS-TR/DUTS-TR-Image/a.jpg", "DUTS-TR/DUTS-TR-Image/b.jpg"]
    assert out.record()["sources"]["skipped_inputs"] == []


def _middle_part(env: Env) -> Run:
    """``reassemble arch.z02``: a part that is not the last one."""
    path = split_archive(env)
    env.before = env.snapshot(path.parent)
    return env.cli("reassemble", path.with_suffix(".z02"), "--out", env.tmp / "joined.zip",
                   "--no-progress")


CASES: list[Case] = [
    Case("reassemble-crc-damaged-member", "reassemble: a member failing its CRC names member and "
         "part, leaves no output and no temp file",
         _reassemble_damaged, Fails(rf"member '{DAMAGED}' is corrupt \((CRC|invalid deflate)"),
         _nothing_left),
    Case("reassemble-out-is-a-part", "reassemble: --out equal to a part of the input is refused",
         _out_is(lambda env, path: path.parent / "arch.z01"),
         Fails(r"arch\.z01: --out is .*arch\.z01, a part of the archive"), _parts_untouched),
    Case("reassemble-out-links-to-a-part", "reassemble: --out that is the same file as a part",
         _out_is(_symlink_to_last_part), Fails(r"link\.zip: --out is .*arch\.zip, a part of the "
                                               r"archive"), _parts_untouched),
    Case("zip-backslash-member-names", "a zip whose member names use \\ as folder separator "
         "(Windows tools): names normalised to /, every pair found",
         _duts_zip_with_backslashes, Succeeds(), _both_pairs_built),
    Case("reassemble-out-is-a-folder", "reassemble: --out that is an existing folder is refused",
         _out_is(lambda env, path: env.tmp), Fails(r"--out is an existing folder; give the path"),
         _parts_untouched),
    Case("reassemble-out-in-missing-folder", "reassemble: --out under a missing folder says to "
         "create it", _out_is(lambda env, path: env.tmp / "missing" / "joined.zip"),
         Fails(r"the folder .*missing does not exist; create it first \(mkdir -p"), _parts_untouched),
    Case("reassemble-middle-part", "reassemble X.z02: say to pass the last part, X.zip",
         _middle_part, Fails(r"arch\.z02: is part 2 of a split zip, not its last part: pass "
                             r".*arch\.zip"), _parts_untouched),
]
