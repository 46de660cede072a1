"""The fast paths of reading a release in place give the same samples as the plain ones.

Covered: the one-pass central directory listing (against ``records.parse_central`` entry by
entry), members read in groups (one read for neighbours, any order, duplicates, a local
extra field longer than the read-ahead slack), opening reads nothing but the end records,
the directory and part signatures, local parts opened once, ISA-L or zlib inflate, the union
alpha (a single instance passes its own bytes; several: min(255, sum) exactly, bytes as
before), and the sequential read-ahead of ``make_many`` (same outcomes, only in sequence,
only with a second CPU).
"""
import io
import os
import pickle
import random
import shutil
import struct
import subprocess
import threading
import zipfile
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from mattehub.contract import codecs
from mattehub.inputs.archives import SplitZip, records, splitzip
from mattehub.inputs.archives.parts import Parts
from mattehub.families.registry import recipe_class
from mattehub.families.releases.options import ReleaseOptions
from mattehub.families.releases import samples
from test_splitzip import expected_files, zip_split

ZIP = shutil.which("zip")


def require_zip() -> None:
    """These readers are tested on archives made the way the real ones are: a missing
    Info-ZIP fails the test (never a skip that would hide the reader untested)."""
    assert ZIP, "these tests need Info-ZIP `zip` (apt-get install zip)"


@pytest.fixture(params=[("-s", "64k"), ("-fz", "-s", "64k"), ()], ids=["split", "split-zip64", "single"])
def archive(request, tmp_path):
    require_zip()
    return zip_split(tmp_path, *request.param)


# -- the central directory ------------------------------------------------------------------
def test_listing_equals_parse_central_entry_by_entry(archive):
    _, path = archive
    reader = SplitZip(str(path))
    at, parsed = 0, []
    for _ in range(len(reader.names())):
        entry, at = records.parse_central(reader._cd, at)
        parsed.append(entry)
    assert [m.entry for m in reader.members] == parsed
    assert [m.offset for m in reader.members] == [
        reader.parts.global_offset(e.disk, e.offset) for e in parsed]
    assert reader.names() == [e.raw_name.decode() for e in parsed]
    assert [reader.member(n) for n in reader.names()] == reader.members


def test_unicode_path_field_names_the_member(tmp_path):
    """A name in the Info-ZIP Unicode Path extra field (0x7075) wins over the raw name."""
    unicode_name = "café/thé.txt"
    field = struct.pack("<B I", 1, zlib.crc32(b"cafe/the.txt")) + unicode_name.encode()
    info = zipfile.ZipInfo("cafe/the.txt")
    info.extra = struct.pack("<HH", records.UNICODE_PATH_EXTRA, len(field)) + field
    with zipfile.ZipFile(tmp_path / "u.zip", "w") as archive:
        archive.writestr(info, b"tea")
        archive.writestr("plain.txt", b"plain")
    reader = SplitZip(str(tmp_path / "u.zip"))
    assert reader.names() == [unicode_name, "plain.txt"]
    assert reader.read_many([unicode_name, "plain.txt"]) == [b"tea", b"plain"]


def test_opening_reads_no_member_data(tmp_path, monkeypatch):
    """Opening costs the tail, the central directory and 4 bytes per part, whatever the
    archive's size: the first sample never waits for a scan of the members."""
    require_zip()
    work, path = zip_split(tmp_path, "-s", "64k")
    reads = []
    original = Parts.read
    monkeypatch.setattr(Parts, "read", lambda self, start, length: reads.append(length) or
                        original(self, start, length))
    reader = SplitZip(str(path))
    cd = len(reader._cd)
    assert sorted(reads) == sorted([cd] + [4] * len(reader.parts.parts))


# -- reading members ------------------------------------------------------------------------
def test_read_many_any_order_duplicates_and_groupings(archive, monkeypatch):
    work, path = archive
    files = expected_files(work)
    names = sorted(files) * 2
    random.Random(1).shuffle(names)
    for gap in (0, splitzip.MAX_GAP, 10**9):
        monkeypatch.setattr(splitzip, "MAX_GAP", gap)
        reader = SplitZip(str(path))
        assert reader.read_many(names) == [files[n] for n in names]
        assert [reader.read(n) for n in names[:5]] == [files[n] for n in names[:5]]


def test_groups_cut_at_gaps_and_spans(archive, monkeypatch):
    _, path = archive
    reader = SplitZip(str(path))
    members = [m for m in reader.members if m.size]
    groups = splitzip._groups(members)
    assert sorted(m.offset for g in groups for m in g) == sorted(m.offset for m in members)
    assert all(a.offset < b.offset for g in groups for a, b in zip(g, g[1:]))
    monkeypatch.setattr(splitzip, "MAX_SPAN", 1)
    assert all(len(g) == 1 for g in splitzip._groups(members))


def test_local_extra_longer_than_the_slack(tmp_path):
    """A local header whose extra field outgrows the bytes read with it is completed by a
    second read, alone or inside a group."""
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as archive:
        for index, method in enumerate((zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED)):
            info = zipfile.ZipInfo(f"m{index}.bin")
            info.compress_type = method
            info.extra = struct.pack("<HH", 0xCAFE, 3000) + bytes(3000)
            archive.writestr(info, bytes([index]) * (5000 + index))
    reader = SplitZip(str(tmp_path / "x.zip"))
    want = [bytes([i]) * (5000 + i) for i in range(3)]
    assert [reader.read(f"m{i}.bin") for i in range(3)] == want
    assert reader.read_many(["m2.bin", "m0.bin", "m1.bin"]) == [want[2], want[0], want[1]]


def test_zlib_and_isal_inflate_the_same(archive, monkeypatch):
    work, path = archive
    files = expected_files(work)
    with_default = SplitZip(str(path)).read_many(sorted(files))
    monkeypatch.setattr(splitzip, "_isal", None)
    assert SplitZip(str(path)).read_many(sorted(files)) == with_default == [files[n] for n in sorted(files)]


def test_damaged_deflate_data_is_named_with_either_inflater(tmp_path, monkeypatch):
    require_zip()
    from bad_input.archive_cases import flip_member_byte

    work, path = zip_split(tmp_path, "-Z", "deflate")
    flip_member_byte(path, "data/text20.txt")
    for inflater in (splitzip._isal, None):
        monkeypatch.setattr(splitzip, "_isal", inflater)
        with pytest.raises(splitzip.ArchiveError, match=r"member 'data/text20.txt' is corrupt"):
            SplitZip(str(path)).read_many(["data/text19.txt", "data/text20.txt"])


def test_local_parts_opened_once_and_not_pickled(archive, monkeypatch):
    work, path = archive
    files = expected_files(work)
    opened = []
    original = os.open
    monkeypatch.setattr(os, "open", lambda *a, **k: opened.append(a[0]) or original(*a, **k))
    reader = SplitZip(str(path))
    for name in sorted(files):
        reader.read(name)
    reader.read_many(sorted(files))
    assert len(opened) == len(set(opened)) <= len(reader.parts.parts)
    clone = pickle.loads(pickle.dumps(reader))
    assert clone.parts._fds == {} and clone.read_many(sorted(files)) == [files[n] for n in sorted(files)]
    reader.close()
    assert reader.read(sorted(files)[0]) == files[sorted(files)[0]]  # re-opens after close


def test_reads_from_many_threads_at_once(archive):
    work, path = archive
    files = expected_files(work)
    reader, errors = SplitZip(str(path)), []

    def read_all():
        try:
            assert reader.read_many(sorted(files)) == [files[n] for n in sorted(files)]
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read_all) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors


# -- the union alpha --------------------------------------------------------------------------
def _matte(size, shift):
    """A soft disc, ``shift`` pixels right of the centre."""
    matte = np.zeros(size[::-1], np.uint8)
    cv2.circle(matte, (size[0] // 2 + shift, size[1] // 2), size[0] // 3, 255, -1)
    return cv2.GaussianBlur(matte, (0, 0), 3)


@pytest.fixture(scope="module")
def instance_release(tmp_path_factory):
    """An I-HIM50K-layout release whose samples have 1, 2, 3 instances (overlapping, so the
    sum saturates), one 16-bit matte, zipped by Info-ZIP as split parts."""
    require_zip()
    root = tmp_path_factory.mktemp("instances")
    stage, rng = root / "stage" / "I-HIM50K", np.random.default_rng(0)
    size = (64, 48)
    mattes = {}
    for index, count in enumerate((1, 2, 3, 1, 2)):
        image = rng.integers(0, 255, (size[1], size[0], 3), np.uint8)
        (stage / "images").mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(stage / "images" / f"{index}.jpg"), image)
        folder = stage / "alphas" / str(index)
        folder.mkdir(parents=True)
        mattes[str(index)] = []
        for k in range(count):
            matte = _matte(size, 6 * k)
            mattes[str(index)].append(matte)
            if index == 3:  # a 16-bit matte: the gate rounds it, the alpha is its 8-bit PNG
                cv2.imwrite(str(folder / f"{k}.png"), matte.astype(np.uint16) * 257)
            else:
                cv2.imwrite(str(folder / f"{k}.png"), matte)
    (root / "zips").mkdir()
    subprocess.run([ZIP, "-q", "-r", "-X", "-s", "64k", str(root / "zips" / "I-HIM50K.zip"),
                    "I-HIM50K"], cwd=root / "stage", check=True)
    return root, mattes


def _recipe(data_dir):
    recipe = recipe_class("i-him50k")(ReleaseOptions(data_dir=str(data_dir), split="train"), seed=0)
    recipe.prepare()
    return recipe


def _pixels(data):
    return np.asarray(Image.open(io.BytesIO(data)))


def test_union_alpha_is_the_saturated_sum_and_single_instances_pass_through(instance_release):
    root, mattes = instance_release
    recipe = _recipe(root / "zips")
    for index in range(recipe.available()):
        sample = recipe.make(index).sample
        name, fields = sample.fields["meta"]["name"], sample.fields
        want = np.minimum(np.sum([m.astype(np.uint16) for m in mattes[name]], axis=0), 255).astype(np.uint8)
        assert np.array_equal(_pixels(fields["alpha"]), want)
        if len(mattes[name]) == 1:  # the instance's own stored bytes (release or gate re-encoding)
            assert fields["alpha"] == fields["instance_alphas"][0]
        else:  # encoded as before: shards of multi-instance samples keep their bytes
            assert fields["alpha"] == codecs.encode_png(want)
    saturated = mattes["2"][0].astype(int) + mattes["2"][1] + mattes["2"][2]
    assert saturated.max() > 255  # the fixture does exercise the saturation


def test_single_instance_alpha_bytes_changed_but_not_its_pixels(instance_release):
    """Before, a single instance's alpha was re-encoded; now it is the matte's own bytes:
    different bytes (shard checksums change), the same decoded pixels."""
    root, mattes = instance_release
    sample = _recipe(root / "zips").make(0).sample
    old = codecs.encode_png(np.minimum(mattes["0"][0].astype(np.uint16), 255).astype(np.uint8))
    assert np.array_equal(_pixels(old), _pixels(sample.fields["alpha"]))
    assert np.array_equal(_pixels(sample.fields["alpha"]), mattes["0"][0])


# -- read-ahead -------------------------------------------------------------------------------
def _fields(outcomes):
    return [(o.index, o.sample.key, o.sample.fields) for o in outcomes]


@pytest.mark.parametrize("cpus", [1, 2])
def test_make_many_with_read_ahead_gives_make_outcomes(instance_release, monkeypatch, cpus):
    root, _ = instance_release
    monkeypatch.setattr(samples, "reader_cpus", lambda: cpus)
    recipe = _recipe(root / "zips")
    streamed = [o for i in range(recipe.available()) for o in recipe.make_many(range(i, i + 1))]
    assert _fields(streamed) == _fields(_recipe(root / "zips").make(i) for i in range(recipe.available()))
    assert (recipe._read_ahead.depth > 0) == (cpus > 1)
    clone = pickle.loads(pickle.dumps(recipe))  # a worker starts with nothing read ahead
    assert clone._read_ahead._ahead == {} and clone._read_ahead._pool is None
    assert _fields(clone.make_many(range(2, 4))) == _fields(streamed[2:4])


def test_read_ahead_only_in_sequence(monkeypatch):
    monkeypatch.setattr(samples, "reader_cpus", lambda: 2)
    made, lock = [], threading.Lock()

    def make(index):
        with lock:
            made.append((index, threading.current_thread().name.startswith("mattehub-read-ahead")))
        return index * 10

    ahead = samples.ReadAhead(depth=3)
    assert ahead.take(make, range(0, 2), stop=100) == [0, 10]  # first call: nothing ahead
    assert not ahead._ahead
    assert ahead.take(make, range(5, 6), stop=100) == [50]  # scattered: still nothing
    assert not ahead._ahead
    assert ahead.take(make, range(6, 7), stop=8) == [60]  # in sequence: 7 ahead (stop at 8)
    assert sorted(ahead._ahead) == [7]
    assert ahead.take(make, range(7, 8), stop=8) == [70]
    assert ahead.take(make, range(20, 21), stop=100) == [200]  # a jump drops what was ahead
    assert not ahead._ahead
    assert sorted(i for i, _ in made) == [0, 1, 5, 6, 7, 20]  # nothing made twice or wasted


def test_read_ahead_off_with_one_cpu(monkeypatch):
    monkeypatch.setattr(samples, "reader_cpus", lambda: 1)
    ahead = samples.ReadAhead(depth=8)
    for start in range(5):
        assert ahead.take(lambda i: i, range(start, start + 1), stop=100) == [start]
    assert ahead.depth == 0 and ahead._pool is None and not ahead._ahead


# -- fork safety (DataLoader workers fork on Linux) -----------------------------------------
def _in_forked_child(target, timeout=20):
    """Run ``target`` in a forked child; its exit code, or None when it hung."""
    import multiprocessing

    child = multiprocessing.get_context("fork").Process(target=target)
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
        child.join()
        return None
    return child.exitcode


def test_a_forked_child_reads_with_its_own_threads(archive):
    work, path = archive
    files = expected_files(work)
    reader = SplitZip(str(path))
    assert reader.read_many(sorted(files)) == [files[n] for n in sorted(files)]  # pool made here

    def child():
        assert reader.read_many(sorted(files)) == [files[n] for n in sorted(files)]

    assert _in_forked_child(child) == 0


def test_read_ahead_running_at_fork_does_not_hang_the_child(monkeypatch):
    """A future running on the parent's read-ahead thread when a DataLoader forks its
    workers never completes in the child: the child drops it and makes the samples itself."""
    import time

    monkeypatch.setattr(samples, "reader_cpus", lambda: 2)
    ahead = samples.ReadAhead(depth=4)

    def slow(index):
        time.sleep(0.3)
        return index

    ahead.take(slow, range(0, 1), stop=100)
    ahead.take(slow, range(1, 2), stop=100)  # 2..5 ahead, 2 running now

    def child():
        assert ahead.take(slow, range(2, 4), stop=100) == [2, 3]

    assert _in_forked_child(child) == 0
    assert ahead.take(slow, range(2, 4), stop=100) == [2, 3]  # the parent's still work


def test_collector_paused_resumes_the_collector_only_if_it_was_running():
    """The release listing pauses the garbage collector (``listing.collector_paused``): it
    runs again after, also when the listing fails, and stays off when the caller had it off."""
    import gc

    from mattehub.inputs.listing import collector_paused

    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("listing failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
