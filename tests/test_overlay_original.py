"""The original "Monocular Depth Estimation and Segmentation" layout: reading it in place
(folder, Dataset.zip, Info-ZIP split zip) and writing it back from a shard folder."""
from __future__ import annotations

import hashlib
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mattehub.build.run import BuildOptions, build
from mattehub.contract.features import Value
from mattehub.contract.schema import IMAGE, META, FieldSpec, Schema
from mattehub.core.errors import BuildError, SourceError
from mattehub.export import export_config
from mattehub.export.files import Files as _Files
from mattehub.families.overlay_depth.export import OverlayDepthOriginal
from mattehub.recipes.base import Recipe
from mattehub.contract.sample import EncodedSample, Outcome, sample_key
from mattehub.build.sequence import ShardLimits
from mattehub.families.overlay_depth.original_sources import UPSTREAM_SCALES, open_original, parse_position, parse_rows
from overlay_original_tree import ZIP, make_original_tree, zip_dataset

needs_zip = pytest.mark.usefixtures("info_zip")


@pytest.fixture
def info_zip() -> str:
    """Info-ZIP's ``zip``: the real tool these archives are made with (the demo needs it too),
    so its absence fails the tests that use it instead of skipping them."""
    assert ZIP is not None, "Info-ZIP `zip` is required (apt-get install zip)"
    return ZIP
MISSING = ("Dataset/bg1/fg_2/overlay/7.jpg", "Dataset/bg2/fg_1/depth/21.jpg")
EMPTY_DEPTH = ("Dataset/bg2/fg_2/overlay/40.jpg",)


def scanned_rows(scan) -> list[tuple[int, str, str, str, str]]:
    return [(row.line, row.bg, row.overlay, row.mask, row.depth) for row in scan.rows]


def skipped_lines(scan) -> dict[int, str]:
    return {int(skip.path.rsplit(":", 1)[1]): skip.reason for skip in scan.skipped}


def assert_matches(scan, tree) -> None:
    """Rows in csv order with their four paths, skips on the right lines for the right
    reasons, and every row's bytes as written."""
    assert scanned_rows(scan) == tree.rows
    found = skipped_lines(scan)
    assert sorted(found) == sorted(tree.skipped)
    for line, fragment in tree.skipped.items():
        assert fragment in found[line], (line, found[line])
    for row in scan.rows:
        data = scan.read(row)
        assert {column: data[column] for column in data} == \
               {column: tree.files[path] for column, path in row.paths().items() if path}


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    """A tree with malformed lines, missing files, an empty depth field and a blank line."""
    return make_original_tree(tmp_path_factory.mktemp("messy") / "data", malformed=True,
                              missing=MISSING, empty_depth=EMPTY_DEPTH, blank_lines=True)


# --- reading ------------------------------------------------------------------------------

def test_folder_mode_lists_rows_in_csv_order_and_counts_skips(messy):
    scan = open_original(str(messy.root))
    assert_matches(scan, messy)
    assert scan.csv_name == "label_data.csv" and scan.location == "data"
    assert len(scan.rows) == 16 - 2 and len(scan.skipped) == 7 + 2
    assert scan.rows[-1].depth == ""  # an empty depth field keeps the row
    assert all(skip.path.startswith("label_data.csv:") for skip in scan.skipped)


def test_missing_files_name_line_and_paths(tmp_path):
    gone = ("Dataset/bg1/fg_1/mask/2.jpg", "Dataset/bg1/fg_1/depth/2.jpg")
    tree = make_original_tree(tmp_path / "d", num_bgs=1, num_fgs=1, ks=(1, 2, 3), missing=gone)
    scan = open_original(str(tree.root))
    assert [row.line for row in scan.rows] == [1, 3]
    [skip] = scan.skipped
    assert skip.path == "label_data.csv:2"
    assert skip.reason == ("missing from d: Dataset/bg1/fg_1/mask/2.jpg, "
                           "Dataset/bg1/fg_1/depth/2.jpg")


@needs_zip
@pytest.mark.parametrize("csv", ["beside", "inside", "nested"])
def test_dataset_zip_in_a_folder(messy, tmp_path, csv):
    zip_dataset(messy, tmp_path / "release", csv=csv)
    scan = open_original(str(tmp_path / "release"))
    assert_matches(scan, messy)
    assert scan.location == "Dataset.zip"
    assert scan.csv_name == {"beside": "label_data.csv", "inside": "label_data.csv",
                             "nested": "data/label_data.csv"}[csv]
    assert scan.skipped[0].path == f"{scan.csv_name}:2"


@needs_zip
def test_zip_path_given_directly(messy, tmp_path):
    archive = zip_dataset(messy, tmp_path / "release", csv="inside")
    assert_matches(open_original(str(archive)), messy)


@needs_zip
def test_split_zip_read_in_place(tmp_path):
    tree = make_original_tree(tmp_path / "big", size=80, malformed=True, missing=MISSING)
    archive = zip_dataset(tree, tmp_path / "release", csv="beside", split="64k")
    parts = sorted(p.name for p in archive.parent.iterdir())
    assert "Dataset.z01" in parts and "Dataset.z02" in parts  # really split
    scan = open_original(str(tmp_path / "release"))
    assert_matches(scan, tree)
    assert type(scan.tree).__name__ == "ArchiveTree"


def test_bom_and_crlf(tmp_path):
    tree = make_original_tree(tmp_path / "d", bom=True, crlf=True, malformed=True)
    scan = open_original(str(tree.root))
    assert_matches(scan, tree)
    assert scan.rows[0].bg == "Dataset/bg/bg1.jpg"  # no BOM, no \r left in a path


def test_parse_rows_normalises_paths_and_ignores_blank_lines():
    data = (b'\n  \n"./Dataset\\bg\\bg1.jpg";"Dataset//bg1/fg_1/overlay/1.jpg";'
            b'" Dataset/bg1/fg_1/mask/1.jpg ";""\n\n"a";"b";"c";"d";"e"\n"x";"y\n')
    rows, skipped = parse_rows(data)
    assert [(r.line, r.bg, r.overlay, r.mask, r.depth) for r in rows] == \
           [(3, "Dataset/bg/bg1.jpg", "Dataset/bg1/fg_1/overlay/1.jpg",
             "Dataset/bg1/fg_1/mask/1.jpg", "")]
    assert [(s.path, s.reason.split(" (")[0]) for s in skipped] == \
           [("label_data.csv:5", "has 5 fields, expected 4"),
            ("label_data.csv:6", "is not a valid csv line")]


def test_empty_csv_is_an_error_saying_what_was_expected(tmp_path):
    tree = make_original_tree(tmp_path / "d")
    tree.csv.write_bytes(b"\xef\xbb\xbf\r\n")
    with pytest.raises(SourceError) as caught:
        open_original(str(tree.root))
    message = str(caught.value)
    assert message.startswith(f"{tree.root}: label_data.csv has no usable row (0 skipped) (")
    assert 'expected label_data.csv (rows "bg";"overlay";"mask";"depth")' in message
    assert '"Monocular Depth Estimation and Segmentation" dataset' in message


def test_csv_whose_rows_are_all_bad_lists_them(tmp_path):
    tree = make_original_tree(tmp_path / "d", num_bgs=1, num_fgs=1, ks=(1,),
                              missing=("Dataset/bg1/fg_1/overlay/1.jpg",))
    with pytest.raises(SourceError, match=r"no usable row \(1 skipped\)\n  - label_data.csv:1: "
                                          r"missing from d: Dataset/bg1/fg_1/overlay/1.jpg"):
        open_original(str(tree.root))


def test_missing_csv_is_an_error(tmp_path):
    tree = make_original_tree(tmp_path / "d")
    tree.csv.unlink()
    with pytest.raises(SourceError, match=r"d: has no label_data.csv \(expected label_data.csv"):
        open_original(str(tree.root))


def test_missing_folder_is_an_error(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        open_original(str(tmp_path / "nowhere"))


def test_never_reads_outside_the_tree(tmp_path):
    """A `..` path naming a real file beside the tree is a skip, not a read."""
    tree = make_original_tree(tmp_path / "d", num_bgs=1, num_fgs=1, ks=(1,))
    (tmp_path / "secret.jpg").write_bytes(tree.files["Dataset/bg/bg1.jpg"])
    with tree.csv.open("ab") as handle:
        handle.write(b'"../secret.jpg";"Dataset/bg1/fg_1/overlay/1.jpg";'
                     b'"Dataset/bg1/fg_1/mask/1.jpg";""\n')
    scan = open_original(str(tree.root))
    assert [row.line for row in scan.rows] == [1]
    assert "'..' component" in scan.skipped[0].reason


@pytest.mark.parametrize("name, expected", [
    ("Dataset/bg1/fg_1/overlay/1.jpg", (False, 0)), ("x/5.jpg", (False, 0)),
    ("x/6.jpg", (False, 1)), ("x/20.jpg", (False, 3)), ("x/21.jpg", (True, 0)),
    ("x/36.png", (True, 3)), ("x/40.jpg", (True, 3)), ("x/0.jpg", (None, None)),
    ("x/41.jpg", (None, None)), ("x/a.jpg", (None, None)), ("x/-3.jpg", (None, None)),
    ("x/٣.jpg", (None, None)),
])
def test_parse_position(name, expected):
    assert parse_position(name) == expected
    assert UPSTREAM_SCALES == (1.0, 0.8, 0.6, 0.4)


# --- export: a fake overlay-depth recipe --------------------------------------------------

@dataclass
class FakeOptions:
    """No options: the samples are given to the recipe."""


class FakeOverlayRecipe(Recipe):
    """Hands out given overlay-depth samples (fields + meta.paths) unchanged."""

    name = "od-fake"
    family = "overlay-depth"
    summary = "test stand-in for overlay-depth"

    def __init__(self, samples: list[dict], with_depth: bool = True) -> None:
        super().__init__(FakeOptions(), seed=0)
        self.samples, self.with_depth = samples, with_depth

    def prepare(self) -> dict:
        return {"samples": len(self.samples)}

    def schema(self) -> Schema:
        names = ["image", "mask"] + (["depth"] if self.with_depth else []) + ["bg"]
        fields = tuple(FieldSpec(name, IMAGE, "jpg" if name in ("image", "bg") else "png")
                       for name in names) + (FieldSpec("meta", META),)
        paths = {key: Value("string") for key in ("bg", "overlay", "mask", "depth")}
        return Schema(self.name, self.family, fields, {"paths": paths, "index": Value("int64")})

    def make(self, index: int) -> Outcome:
        sample = self.samples[index]
        fields = {name: sample[name] for name in ("image", "mask", "depth", "bg")
                  if name in sample and (name != "depth" or self.with_depth)}
        fields["meta"] = {"paths": sample["paths"], "index": index}
        return Outcome(index, EncodedSample(index, sample_key(index), fields))

    def source_fingerprint(self) -> str:
        return hashlib.sha256(repr(self.samples).encode()).hexdigest()

    def default_num_samples(self) -> int:
        return len(self.samples)

    def available(self) -> int:
        return len(self.samples)


def encoded(seed: int, fmt: str, grey: bool = False) -> bytes:
    rng = np.random.default_rng(seed)
    image = Image.fromarray(rng.integers(0, 256, (8, 8) if grey else (8, 8, 3), dtype=np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG" if fmt == "jpg" else "PNG")
    return buffer.getvalue()


def sample(n: int, bg_number: int, mask_fmt: str = "jpg", **paths) -> dict:
    """Sample ``n`` on background ``bg``: a JPEG overlay, a mask, a PNG depth, a JPEG bg."""
    bg = bg_number
    default = {"bg": f"Dataset/bg/bg{bg}.jpg", "overlay": f"Dataset/bg{bg}/fg_1/overlay/{n}.jpg",
               "mask": f"Dataset/bg{bg}/fg_1/mask/{n}.jpg",
               "depth": f"Dataset/bg{bg}/fg_1/depth/{n}.png"}
    return {"image": encoded(n, "jpg"), "mask": encoded(100 + n, mask_fmt, grey=True),
            "depth": encoded(200 + n, "png", grey=True), "bg": encoded(300 + bg, "jpg"),
            "paths": {**default, **paths}}


def build_fake(out: Path, samples: list[dict], with_depth: bool = True) -> Path:
    """A Parquet-only shard folder of ``samples`` in shards of 2 (several row groups each)."""
    limits = ShardLimits(max_samples=2, row_group_bytes=1)
    build(FakeOverlayRecipe(samples, with_depth),
          BuildOptions(out=out, formats=("parquet",), limits=limits, progress=False))
    return out


def export(folder: Path, out: Path, **options):
    return export_config(folder, out, config="od-fake", progress=False, **options)


@pytest.fixture(scope="module")
def shard_samples() -> list[dict]:
    """Five samples on two backgrounds; sample 1's mask is a PNG under a .jpg name."""
    return [sample(1, 1), sample(2, 1, mask_fmt="png"), sample(3, 2), sample(4, 2), sample(5, 1)]


@pytest.fixture(scope="module")
def shards(tmp_path_factory, shard_samples) -> Path:
    return build_fake(tmp_path_factory.mktemp("fake") / "shards", shard_samples)


def test_export_writes_stored_bytes_and_the_csv(shards, shard_samples, tmp_path):
    report = export(shards, tmp_path / "orig")
    out = tmp_path / "orig"
    expected_rows = []
    for item in shard_samples:
        paths = dict(item["paths"])
        if item["mask"][:4] == b"\x89PNG":
            paths["mask"] = paths["mask"][:-len(".jpg")] + ".png"
        for column, field in (("bg", "bg"), ("overlay", "image"), ("mask", "mask"),
                              ("depth", "depth")):
            assert (out / paths[column]).read_bytes() == item[field]
        expected_rows.append(";".join(f'"{paths[c]}"' for c in ("bg", "overlay", "mask", "depth")))
    assert (out / "label_data.csv").read_bytes() == ("\n".join(expected_rows) + "\n").encode()
    assert not (out / "Dataset/bg1/fg_1/mask/2.jpg").exists()
    assert report.samples == 5 and report.files == 5 * 3 + 2 and report.renamed == 1
    assert report.bytes == sum(p.stat().st_size for p in out.rglob("*.*")
                               if p.name not in ("label_data.csv", "mattehub_meta.jsonl"))
    sidecar = (out / "mattehub_meta.jsonl").read_text().splitlines()
    assert [json.loads(line)["csv_line"] for line in sidecar] == list(range(1, 6))
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name]
    assert "exported 5 samples: 17 files" in report.format()
    assert "1 extension(s) changed" in report.format()


def test_export_without_depth_field(tmp_path, shard_samples):
    folder = build_fake(tmp_path / "shards", shard_samples[:2], with_depth=False)
    report = export(folder, tmp_path / "orig")
    text = (tmp_path / "orig" / "label_data.csv").read_text()
    assert text == ('"Dataset/bg/bg1.jpg";"Dataset/bg1/fg_1/overlay/1.jpg";'
                    '"Dataset/bg1/fg_1/mask/1.jpg";""\n'
                    '"Dataset/bg/bg1.jpg";"Dataset/bg1/fg_1/overlay/2.jpg";'
                    '"Dataset/bg1/fg_1/mask/2.png";""\n')
    assert not (tmp_path / "orig" / "Dataset/bg1/fg_1/depth").exists()
    assert report.files == 5


def test_export_conflicting_bytes_for_one_path(tmp_path, shard_samples):
    clash = sample(9, 1)
    clash["bg"] = encoded(999, "jpg")  # Dataset/bg/bg1.jpg again, other bytes
    folder = build_fake(tmp_path / "shards", shard_samples[:2] + [clash])
    with pytest.raises(BuildError, match=r"sample 00000002 \(bg\) and sample 00000000 \(bg\) both "
                                         r"write Dataset/bg/bg1.jpg with different bytes"):
        export(folder, tmp_path / "orig")
    assert not (tmp_path / "orig" / "label_data.csv").exists()


@pytest.mark.parametrize("column, path", [
    ("bg", "../escape.jpg"), ("overlay", "{tmp}/escape.jpg"), ("mask", "Dataset/../../escape.jpg"),
    ("depth", "label_data.csv"), ("mask", "Dataset//x.jpg"), ("bg", "C:/escape.jpg"),
])
def test_export_refuses_unsafe_meta_paths(tmp_path, column, path):
    path = path.format(tmp=tmp_path)
    folder = build_fake(tmp_path / "shards", [sample(1, 1, **{column: path})])
    with pytest.raises(BuildError, match="not a safe relative path"):
        export(folder, tmp_path / "work" / "orig")
    assert [p.name for p in tmp_path.rglob("escape.jpg")] == []
    assert not (tmp_path / "work" / "orig" / "label_data.csv").exists()


def test_export_refuses_a_symlink_out_of_out(tmp_path, shards):
    out, elsewhere = tmp_path / "orig", tmp_path / "elsewhere"
    out.mkdir(), elsewhere.mkdir()
    (out / "Dataset").symlink_to(elsewhere)
    with pytest.raises(BuildError, match="is not empty"):
        export(shards, out)
    assert not any(elsewhere.iterdir())


def test_export_refuses_a_symlink_made_during_the_export(tmp_path, shards):
    """A link that appears after the emptiness check is still not followed out of --out."""
    out, elsewhere = tmp_path / "orig", tmp_path / "elsewhere"
    elsewhere.mkdir()
    files = _Files(out, shards)
    out.mkdir()
    (out / "Dataset").symlink_to(elsewhere)
    with pytest.raises(BuildError, match=r"Dataset is a symbolic link to .*elsewhere, outside "
                                         r"--out .*replace the link by a real folder"):
        files.put("Dataset/bg/x.jpg", encoded(1, "jpg"), "sample 1 (bg)")
    assert not any(elsewhere.iterdir())


def test_export_refuses_out_inside_the_shard_folder(shards):
    with pytest.raises(BuildError, match="lies inside the shard folder"):
        export(shards, shards / "orig")
    with pytest.raises(BuildError, match="lies inside the shard folder"):
        export(shards, shards)
    assert not (shards / "orig").exists()


def test_export_refuses_a_folder_that_is_not_empty(shards, tmp_path):
    out = tmp_path / "orig"
    (out / "Dataset/bg/").mkdir(parents=True)
    (out / "Dataset/bg/bg1.jpg").write_bytes(b"someone's file")
    with pytest.raises(BuildError, match=r"orig is not empty \(it holds files\): export writes "
                                         r"into a new or empty folder only"):
        export(shards, out)
    assert (out / "Dataset/bg/bg1.jpg").read_bytes() == b"someone's file"
    shutil.rmtree(out)
    export(shards, out)
    assert (out / "Dataset/bg/bg1.jpg").read_bytes() == encoded(301, "jpg")
    with pytest.raises(BuildError, match=r"holds an earlier export's label_data.csv"):
        export(shards, out)


def test_export_unknown_split_or_other_family(shards, tmp_path, built):
    with pytest.raises(BuildError, match="has no split 'test'"):
        export(shards, tmp_path / "a", split="test")
    with pytest.raises(BuildError, match="family 'image-him'"):
        export_config(built, tmp_path / "b", config="i-him", progress=False,
                      exporter=OverlayDepthOriginal)


@needs_zip
def test_round_trip_original_to_shards_to_original(messy, tmp_path):
    """Read the original tree, build shards of its bytes, export: the usable rows' files and
    csv rows come back byte for byte."""
    archive_dir = tmp_path / "release"
    zip_dataset(messy, archive_dir, csv="inside", split="64k")
    scan = open_original(str(archive_dir))
    samples = []
    rows = [row for row in scan.rows if row.depth]  # a null image is not storable
    assert len(rows) == len(scan.rows) - 1
    for row in rows:
        data = scan.read(row)
        item = {"image": data["overlay"], "mask": data["mask"], "bg": data["bg"],
                "paths": row.paths()}
        if "depth" in data:
            item["depth"] = data["depth"]
        samples.append(item)
    folder = build_fake(tmp_path / "shards", samples)
    export(folder, tmp_path / "orig")
    for row in rows:
        for path in row.paths().values():
            if path:
                assert (tmp_path / "orig" / path).read_bytes() == messy.files[path]
    csv_lines = messy.csv.read_bytes().split(b"\n")
    expected = b"".join(csv_lines[row.line - 1] + b"\n" for row in rows)
    assert (tmp_path / "orig" / "label_data.csv").read_bytes() == expected
    shutil.rmtree(tmp_path / "shards")
