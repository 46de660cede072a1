"""The image benchmarks read in place, end to end on stand-in trees written without mattehub
(tests/p3m_tree.py, tests/am2k_tree.py): P3M-10k (``p3m-10k``: train; ``p3m-500``: the
validation sets) and AM-2k (``am-2k``: train; ``am-2k-validation``), built with ``mattehub
build`` and streamed with ``load_dataset`` from the extracted folder and from the published
zip (Info-ZIP) in place; images and mattes are the published bytes, trimaps the published
files, splits and meta as published; exported back to the published folders byte for byte;
evaluated on a validation split; read into arrays with each matte decoded once."""
from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

import aim500_tree
import am2k_tree
import p3m_tree
import ppm_tree
from conftest import shard_bytes
from mattehub.cli.main import main


@dataclass(frozen=True)
class Benchmark:
    """A dataset's stand-in and what its configs must make of it."""

    make_tree: Callable
    zip_tree: Callable
    archive: str
    configs: dict[str, str]
    """split -> config, in the dataset's split order; the last split is evaluated."""
    meta: Callable[[str], dict]
    """split -> the meta keys the family adds (per sample: ``sample_meta``)."""

    def sample_meta(self, split: str, name: str) -> dict:
        return {**self.meta(split), **aim500_tree.LISTED.get(name, {})}

    @property
    def last_split(self) -> str:
        return list(self.configs)[-1]


BENCHMARKS = {
    "p3m": Benchmark(p3m_tree.make_p3m_tree, p3m_tree.zip_tree, "P3M-10k.zip",
                     {"train": "p3m-10k", "p3m_500_p": "p3m-500", "p3m_500_np": "p3m-500"},
                     lambda split: dict(zip(("subset", "face_blurred"), p3m_tree.PUBLISHED[split]))),
    "am2k": Benchmark(am2k_tree.make_am2k_tree, am2k_tree.zip_tree, "AM-2k.zip",
                      {"train": "am-2k", "validation": "am-2k-validation"}, lambda split: {}),
    "aim500": Benchmark(aim500_tree.make_aim500_tree, aim500_tree.zip_tree, "AIM-500.zip",
                        {"test": "aim-500"}, lambda split: {}),
    "ppm": Benchmark(ppm_tree.make_ppm_tree, ppm_tree.zip_tree, "PPM-100.zip",
                     {"test": "ppm-100"}, lambda split: {}),
}


def rows_of(out: Path, config: str, split: str) -> list[dict]:
    rows = []
    for shard in sorted((out / config).glob(f"{split}-*.parquet")):
        rows += pq.read_table(shard).to_pylist()
    return rows


def build(config: str, data_dir, out: Path, split: str, *extra: str) -> int:
    return main(["build", config, "--data-dir", str(data_dir), "--split", split, "--out",
                 str(out), "--no-progress", "--max-samples-per-shard", "2", *extra])


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


@pytest.fixture(scope="module", params=list(BENCHMARKS))
def bench(request, tmp_path_factory):
    """(benchmark, tree, folder holding the zip, a build of every split from the folder)."""
    spec = BENCHMARKS[request.param]
    root = tmp_path_factory.mktemp(request.param)
    tree = spec.make_tree(root / "extracted")
    zipped = spec.zip_tree(tree, root / "zip")
    out = root / "from-folder"
    for split, config in spec.configs.items():
        assert build(config, tree.root, out, split) == 0
    return spec, tree, zipped, out


def check(spec: Benchmark, tree, split: str, rows: list[dict], stored: bool) -> None:
    """``rows`` are the samples of ``split`` in name order: exact bytes (stored) or pixels
    (streamed) of the published files, and the published meta."""
    expected = tree.samples(split)
    assert [row["meta"]["name"] for row in rows] == [s["name"] for s in expected]
    for index, (row, sample) in enumerate(zip(rows, expected)):
        paths = sample["paths"]
        assert ("trimap" in row) == (paths["trimap"] is not None)
        for field in [f for f in ("image", "alpha", "trimap") if paths[f]]:
            published = tree.files[paths[field]]
            if stored:
                assert row[field]["bytes"] == published, (split, field)
            else:
                assert np.array_equal(np.asarray(row[field]), pixels(published)), (split, field)
        assert row["meta"] == {"recipe": spec.configs[split], "name": sample["name"],
                               "split": split, "width": sample["width"],
                               "height": sample["height"], "paths": paths, "index": index,
                               **spec.sample_meta(split, sample["name"])}


def test_built_from_the_folder_exact(bench):
    spec, tree, _, out = bench
    for split, config in spec.configs.items():
        check(spec, tree, split, rows_of(out, config, split), stored=True)
        record = json.loads((out / "_stats" / config / f"{split}.build.json").read_text())
        assert record["sources"]["skipped_inputs"] == [] and str(tree.root) not in json.dumps(record)


def test_built_from_the_zip_in_place_equals_the_folder_build(bench, tmp_path):
    spec, _, zipped, out = bench
    for split, config in spec.configs.items():
        assert build(config, zipped, tmp_path, split) == 0
        record = json.loads((tmp_path / "_stats" / config / f"{split}.build.json").read_text())
        assert record["sources"]["location"] == spec.archive
    assert shard_bytes(tmp_path) == shard_bytes(out)


@pytest.mark.parametrize("source", ["folder", "zip"])
def test_streamed_in_place_every_split_exact(bench, source):
    import mattehub  # noqa: F401  registers the builder
    from datasets import load_dataset

    spec, tree, zipped, _ = bench
    data_dir = str(tree.root if source == "folder" else zipped)
    for config in dict.fromkeys(spec.configs.values()):
        ds = load_dataset("mattehub", config, data_dir=data_dir, streaming=True)
        assert sorted(ds) == sorted(s for s, c in spec.configs.items() if c == config)
        for split in ds:
            check(spec, tree, split, list(ds[split]), stored=False)


def test_only_present_splits_are_listed(bench, tmp_path):
    from mattehub.families.registry import recipe_class

    spec, tree, zipped, _ = bench
    split = spec.last_split
    for relative in {p for s in tree.samples(split) for p in s["paths"].values() if p}:
        (tmp_path / tree.top / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / tree.top / relative).write_bytes(tree.files[relative])
    config = recipe_class(spec.configs[split])
    assert config.source_splits(str(tmp_path)) == [split]
    assert config.source_splits(str(zipped)) == [s for s, c in spec.configs.items()
                                                 if c == spec.configs[split]]


def test_with_trimap_only_where_none_is_published(bench, tmp_path, capsys):
    """A split without published trimaps takes --with trimap; one with them refuses it."""
    from mattehub.synthesis.trimap import trimap

    spec, tree, _, _ = bench
    for split, config in spec.configs.items():
        code = build(config, tree.root, tmp_path, split, "--with", "trimap")
        if tree.samples(split)[0]["paths"]["trimap"]:
            assert code != 0 and "already has a trimap field" in capsys.readouterr().err
            continue
        assert code == 0
        for row in rows_of(tmp_path, config, split):
            assert np.array_equal(pixels(row["trimap"]["bytes"]),
                                  trimap(pixels(row["alpha"]["bytes"]), "him-eval"))


def test_exported_back_to_the_published_folders_byte_for_byte(bench, tmp_path):
    spec, tree, _, out = bench
    for split, config in spec.configs.items():
        assert main(["export", config, str(out), "--split", split, "--out", str(tmp_path),
                     "--no-progress", "--overwrite"]) == 0
    written = {p.relative_to(tmp_path / tree.top).as_posix(): p.read_bytes()
               for p in (tmp_path / tree.top).rglob("*") if p.is_file()}
    published = {path: tree.files[path] for split in spec.configs
                 for sample in tree.samples(split) for path in sample["paths"].values() if path}
    categories = "aim_category_type.json"  # AIM-500's list, rewritten from meta: same content
    if categories in tree.files:
        assert json.loads(written.pop(categories)) == json.loads(tree.files[categories])
    assert written == published


def test_evaluated_on_its_last_split(bench, tmp_path):
    """``mattehub evaluate`` streams the split from the zip (ground truth made on the fly;
    the stored trimap, where there is one, is used as in tests/test_evaluate.py)."""
    spec, tree, zipped, _ = bench
    split = spec.last_split
    samples = tree.samples(split)
    pred = tmp_path / "pred"
    pred.mkdir()
    for index, sample in enumerate(samples):
        cv2.imwrite(str(pred / f"{index:08d}.png"), pixels(tree.files[sample["paths"]["alpha"]]))
    assert main(["evaluate", spec.configs[split], "--data-dir", str(zipped), "--pred", str(pred),
                 "--split", split, "--json", str(tmp_path / "e.json"), "--no-progress"]) == 0
    report = json.loads((tmp_path / "e.json").read_text())
    assert report["counts"]["samples"] == len(samples)
    assert all(value == 0 for value in report["means"]["whole"].values())


def test_as_arrays_gets_the_mattes_the_gate_decoded(bench):
    """Read into arrays, each sample's alpha and trimap are decoded once (by the gate) and
    handed over (``contract.decoded``), with the published pixels."""
    import mattehub
    from mattehub.contract import decoded
    from mattehub.training import as_arrays

    spec, tree, zipped, _ = bench
    split = spec.last_split
    try:
        before = decoded.hits
        rows = list(as_arrays(mattehub.stream(spec.configs[split], str(zipped), split=split),
                              "numpy"))
        fields = [f for f in ("alpha", "trimap") if tree.samples(split)[0]["paths"][f]]
        assert decoded.hits - before == len(fields) * len(rows) == len(fields) * len(tree.samples(split))
        for row, sample in zip(rows, tree.samples(split)):
            for field in fields:
                assert np.array_equal(row[field], pixels(tree.files[sample["paths"][field]]))
    finally:
        decoded.forget()


def test_aim500_older_validation_folder_reads_the_same(tmp_path):
    """AIM-500 with its folders under ``validation/`` (an older config's paths) and the
    category list one folder up: the same samples, types and categories (paths relative to
    the folder holding ``original/``)."""
    from mattehub.families.aim500.options import Aim500Options
    from mattehub.families.aim500.recipe import Aim500Recipe

    tree = aim500_tree.make_aim500_tree(tmp_path / "old", under="validation/")
    recipe = Aim500Recipe(Aim500Options(data_dir=str(tree.root)), seed=0)
    assert recipe.prepare()["categorised"] == 3
    samples = tree.samples("test")
    assert recipe.available() == len(samples)
    for index, sample in enumerate(samples):
        fields = recipe.make(index).sample.fields
        assert all(fields[f] == tree.files[p] for f, p in sample["paths"].items())
        assert fields["meta"]["paths"] == {f: p.removeprefix("validation/")
                                           for f, p in sample["paths"].items()}
        assert {k: fields["meta"][k] for k in ("type", "category")} == \
            aim500_tree.LISTED[sample["name"]]


def test_ppm_jpeg_mattes_are_stored_as_png_of_their_pixels(tmp_path):
    """PPM-100 mattes published as JPEG: stored as 8-bit grey PNG of the decoded pixels, one
    normalised_input event each naming the file."""
    tree = ppm_tree.make_ppm_tree(tmp_path / "jpeg", matte_ext="jpg")
    assert build("ppm-100", tree.root, tmp_path / "out", "test") == 0
    rows = rows_of(tmp_path / "out", "ppm-100", "test")
    assert [r["meta"]["name"] for r in rows] == [s["name"] for s in tree.samples("test")]
    for row, sample in zip(rows, tree.samples("test")):
        assert row["alpha"]["bytes"][:4] == b"\x89PNG"
        assert np.array_equal(pixels(row["alpha"]["bytes"]),
                              pixels(tree.files[sample["paths"]["alpha"]]))
    stats = sorted((tmp_path / "out" / "_stats" / "ppm-100").glob("test-0*.json"))
    events = [e for path in stats for e in json.loads(path.read_text())["events"]]
    assert sorted(e["path"] for e in events if e["kind"] == "normalised_input") == \
        sorted(s["paths"]["alpha"] for s in tree.samples("test"))


def test_streamed_over_http_from_the_zip(bench, http_root):
    """A server holding the published zip: the split is read in place with range requests."""
    import mattehub  # noqa: F401
    from datasets import load_dataset

    spec, tree, zipped, _ = bench
    split = spec.last_split
    ds = load_dataset("mattehub", spec.configs[split], data_dir=http_root(zipped), split=split,
                      streaming=True)
    check(spec, tree, split, list(ds), stored=False)
