"""The split-zip reader and reassembly, on archives made by Info-ZIP itself."""
import os
import shutil
import subprocess
import zipfile

import pytest

from mattehub.core.errors import ArchiveError
from mattehub.inputs.archives import SplitZip
from mattehub.inputs.archives.reassemble import reassemble

ZIP = shutil.which("zip")
pytestmark = pytest.mark.skipif(ZIP is None, reason="Info-ZIP `zip` is required (apt-get install zip)")


def make_tree(root):
    """A folder of compressible and incompressible files, some larger than a part."""
    (root / "data" / "sub").mkdir(parents=True)
    rng = __import__("random").Random(0)
    (root / "data" / "sub" / "noise.bin").write_bytes(bytes(rng.randrange(256) for _ in range(150_000)))
    for i in range(25):
        (root / "data" / f"text{i:02d}.txt").write_text(f"line {i}\n" * (200 + 50 * i))
    (root / "data" / "empty.txt").write_bytes(b"")
    return root / "data"


def zip_split(tmp_path, *flags, name="arch"):
    work = tmp_path / name
    make_tree(work)
    subprocess.run([ZIP, "-q", "-r", *flags, f"{name}.zip", "data"], cwd=work, check=True)
    return work, work / f"{name}.zip"


@pytest.fixture(params=[("-s", "64k"), ("-fz", "-s", "64k"), ()], ids=["split", "split-zip64", "single"])
def archive(request, tmp_path):
    return zip_split(tmp_path, *request.param)


def expected_files(work):
    return {p.relative_to(work).as_posix(): p.read_bytes()
            for p in (work / "data").rglob("*") if p.is_file()}


def test_reads_every_member_bit_for_bit(archive):
    work, path = archive
    reader = SplitZip(str(path))
    files = expected_files(work)
    assert {n for n in reader.names() if not n.endswith("/")} == set(files)
    for name, data in files.items():
        assert reader.read(name) == data
    assert reader.read_many(sorted(files)) == [files[n] for n in sorted(files)]


def test_split_archive_really_has_parts(tmp_path):
    work, path = zip_split(tmp_path, "-s", "64k")
    reader = SplitZip(str(path))
    assert len(reader.parts.parts) >= 3 and (work / "arch.z01").exists()
    with pytest.raises(zipfile.BadZipFile):  # what the standard library makes of it
        zipfile.ZipFile(path).read("data/sub/noise.bin")


def test_reads_over_http_with_ranges_touching_little(tmp_path, http_root):
    from conftest import RangeHandler

    work, path = zip_split(tmp_path, "-s", "64k")
    total = sum(p.stat().st_size for p in work.glob("arch.z*"))
    base = http_root(work)
    RangeHandler.bytes_sent = 0
    reader = SplitZip(f"{base}/arch.zip")
    assert reader.read("data/text03.txt") == (work / "data" / "text03.txt").read_bytes()
    # the end-record search reads the last 64 KiB (here: all of the small last part), then
    # only part signatures and one member: earlier parts are never downloaded
    assert RangeHandler.bytes_sent <= path.stat().st_size + 8 * 1024 < total / 2
    assert reader.read("data/sub/noise.bin") == (work / "data" / "sub" / "noise.bin").read_bytes()


@pytest.mark.parametrize("flags", [("-s", "64k"), ("-fz", "-s", "64k")], ids=["split", "zip64"])
def test_reassemble_gives_a_zip_that_unzip_accepts(tmp_path, flags):
    work, path = zip_split(tmp_path, *flags)
    out = reassemble(str(path), tmp_path / "joined.zip", progress=False)
    subprocess.run(["unzip", "-tq", str(out)], check=True, capture_output=True)
    with zipfile.ZipFile(out) as joined:
        for name, data in expected_files(work).items():
            assert joined.read(name) == data



def test_reassemble_matches_zip_F_where_zip_F_works(tmp_path):
    """On an archive whose members each span at most two parts, `zip -F` is right and we make
    its exact bytes. (With a member spanning three parts, Info-ZIP 3.0's `zip -F` output fails
    `unzip -t`; ours passes: see the test above, whose noise.bin spans three 64k parts.)"""
    work = tmp_path / "small"
    (work / "data").mkdir(parents=True)
    for i in range(40):
        (work / "data" / f"t{i}.txt").write_text(f"row {i}\n" * (100 + 40 * i))
    subprocess.run([ZIP, "-q", "-r", "-0", "-s", "64k", "small.zip", "data"], cwd=work, check=True)
    out = reassemble(str(work / "small.zip"), tmp_path / "joined.zip", progress=False)
    subprocess.run([ZIP, "-q", "-F", str(work / "small.zip"), "--out", str(tmp_path / "f.zip")],
                   check=True)
    subprocess.run(["unzip", "-tq", str(tmp_path / "f.zip")], check=True, capture_output=True)
    assert len(SplitZip(str(work / "small.zip")).parts.parts) >= 2
    assert out.read_bytes() == (tmp_path / "f.zip").read_bytes()


def test_reassemble_checks_members_across_copy_blocks(tmp_path, monkeypatch):
    """With tiny copy blocks, members span many blocks and blocks hold many members: the
    checked copy gives the same bytes as with the default block."""
    from mattehub.inputs.archives import reassemble as module

    work, path = zip_split(tmp_path, "-fz", "-s", "64k")
    whole = reassemble(str(path), tmp_path / "whole.zip", progress=False).read_bytes()
    monkeypatch.setattr(module, "BLOCK", 777)
    assert reassemble(str(path), tmp_path / "small.zip", progress=False).read_bytes() == whole


@pytest.mark.parametrize("method", ["store", "deflate"])
def test_reassemble_refuses_a_damaged_member(tmp_path, monkeypatch, method):
    """Stored data is CRC'd as copied, deflate data inflated block by block; either way a
    damaged member fails, naming it, and nothing is left at --out."""
    from bad_input.archive_cases import flip_member_byte
    from mattehub.inputs.archives import reassemble as module

    monkeypatch.setattr(module, "BLOCK", 1000)
    work, path = zip_split(tmp_path, "-Z", method, "-s", "64k")
    part = flip_member_byte(path, "data/sub/noise.bin")
    damaged = os.path.basename(part)
    with pytest.raises(ArchiveError, match=rf"arch\.z\d\d: member 'data/sub/noise.bin' is corrupt "
                                           rf"\(.*\); its data spans parts (arch\.z\d\d, )*{damaged}"):
        reassemble(str(path), tmp_path / "joined.zip", progress=False)
    assert not list(tmp_path.glob("joined.zip*"))


def test_missing_part_is_named(tmp_path):
    work, path = zip_split(tmp_path, "-s", "64k")
    (work / "arch.z02").unlink()
    with pytest.raises(ArchiveError, match=r"arch\.z02: missing: part 2 of \d+ of the split archive"):
        SplitZip(str(path))


def test_parts_out_of_order_are_detected(tmp_path):
    work, path = zip_split(tmp_path, "-s", "64k")
    os.rename(work / "arch.z01", work / "tmp")
    os.rename(work / "arch.z02", work / "arch.z01")
    os.rename(work / "tmp", work / "arch.z02")
    with pytest.raises(ArchiveError, match="renamed or out of order"):
        SplitZip(str(path))


def test_truncated_middle_part_is_named(tmp_path):
    work, path = zip_split(tmp_path, "-s", "64k")
    part = work / "arch.z02"
    part.write_bytes(part.read_bytes()[:20_000])
    with pytest.raises(ArchiveError, match=r"arch\.z02: is 20000 bytes where the other parts are "
                                           r"\d+: truncated part\?"):
        SplitZip(str(path))


def test_truncated_last_part_is_named(tmp_path):
    work, path = zip_split(tmp_path, "-s", "64k")
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(ArchiveError, match=r"arch\.zip: has no end-of-central-directory record"):
        SplitZip(str(path))


def test_corrupted_member_fails_its_crc(tmp_path):
    work, path = zip_split(tmp_path, "-Z", "store")
    reader = SplitZip(str(path))
    member = reader.member("data/text05.txt")
    blob = bytearray(path.read_bytes())
    blob[member.offset + 30 + len(member.entry.raw_name) + len(member.entry.extra) + 5] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(ArchiveError, match=r"member 'data/text05.txt' is corrupt"):
        SplitZip(str(path)).read("data/text05.txt")


def test_non_utf8_member_name_is_named(tmp_path):
    work = tmp_path / "latin"
    work.mkdir()
    (work / os.fsdecode(b"caf\xe9.txt")).write_bytes(b"x")
    subprocess.run([ZIP, "-q", "latin.zip", os.fsdecode(b"caf\xe9.txt")], cwd=work, check=True,
                   env=dict(os.environ, LC_ALL="C", LANG="C"))
    with pytest.raises(ArchiveError, match=r"latin\.zip: member name b'caf\\xe9\.txt' is not UTF-8"):
        SplitZip(str(work / "latin.zip"))
