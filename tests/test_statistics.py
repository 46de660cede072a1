"""Per-channel statistics (``mattehub.analysis.statistics``): every statistic against numpy on the
very arrays a fake recipe built into shards, exact integer totals, errors, the card table,
and stored statistics surviving a rebuild only when the shards' bytes are unchanged."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from mattehub.contract import codecs
from mattehub.build.run import BuildOptions, BuildReport, build
from mattehub.contract.features import Value
from mattehub.contract.schema import IMAGE, META, FieldSpec, Schema
from mattehub.core.errors import SourceError
from mattehub.build.finalize import kept_statistics
from mattehub.core.jsonio import read_json
from mattehub.output.layout import OutputLayout
from mattehub.recipes.base import Recipe
from mattehub.core.rng import sample_rng
from mattehub.contract.sample import EncodedSample, Outcome, sample_key
from mattehub.build.sequence import ShardLimits
from mattehub.analysis.statistics import ChannelTotals, FieldAccumulator, Statistics, compute_statistics, image_sums, write_statistics

CONFIG = "stats-fake"
SAMPLES = 12
STATS = ("pooled_mean", "pooled_std", "mean_of_image_means", "std_of_image_stds",
         "mean_of_image_stds")
INT64_MAX = int(np.iinfo(np.int64).max)


@dataclass(frozen=True)
class FakeOptions:
    image_format: str = "png"


class FakeOverlayRecipe(Recipe):
    """overlay-depth-like samples of varying sizes: 8-bit RGB image (PNG or JPEG), 8-bit grey
    mask, 16-bit depth (half the samples near 65535), 8-bit RGB bg; all random."""

    name = CONFIG
    family = "overlay-depth"
    summary = "random arrays for the statistics tests"
    def prepare(self) -> dict:
        return {"samples": SAMPLES}

    def source_fingerprint(self) -> str:
        return "fake"

    def schema(self) -> Schema:
        return Schema(self.name, self.family, (
            FieldSpec("image", IMAGE, self.options.image_format), FieldSpec("mask", IMAGE),
            FieldSpec("depth", IMAGE), FieldSpec("bg", IMAGE), FieldSpec("meta", META)),
            {"index": Value("int64")})

    def arrays(self, index: int) -> dict[str, np.ndarray]:
        """The sample's arrays (RGB order), before encoding."""
        rng = sample_rng(self.name, self.seed, index)
        h, w = 6 + index % 5, 9 + (index * 3) % 7
        low = 60000 if index % 2 else 0
        return {"image": rng.integers(0, 256, (h, w, 3), dtype=np.uint8),
                "mask": rng.integers(0, 256, (h, w), dtype=np.uint8),
                "depth": rng.integers(low, 65536, (h, w), dtype=np.uint16),
                "bg": rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)}

    def make(self, index: int) -> Outcome:
        arrays = self.arrays(index)
        fields = {name: codecs.encode_png(array) for name, array in arrays.items()}
        fields["image"] = codecs.encode_rgb(arrays["image"], self.options.image_format, 90)
        fields["meta"] = {"index": index}
        return Outcome(index, EncodedSample(index, sample_key(index), fields))


def build_fake(out: Path, image_format: str = "png", num_samples: int = SAMPLES, seed: int = 3,
               formats: tuple[str, ...] = ("parquet", "webdataset"),
               overwrite: bool = False) -> tuple[FakeOverlayRecipe, BuildReport]:
    """Build ``num_samples`` samples in shards of 5 (3 shards of several row groups each for
    SAMPLES)."""
    recipe = FakeOverlayRecipe(FakeOptions(image_format), seed=seed)
    report = build(recipe, BuildOptions(out=out, num_samples=num_samples, formats=formats,
                                        overwrite=overwrite, progress=False,
                                        limits=ShardLimits(max_samples=5, row_group_bytes=1024)))
    return recipe, report


@pytest.fixture(scope="module")
def png_build(tmp_path_factory) -> tuple[Path, FakeOverlayRecipe]:
    out = tmp_path_factory.mktemp("stats") / "png"
    return out, build_fake(out)[0]


def numpy_statistics(arrays: list[np.ndarray]) -> dict[str, np.ndarray]:
    """The statistics straight from numpy: pooled over concatenated pixels, and over
    images of each image's np.mean / np.std (ddof=0 everywhere)."""
    pixels = [a.reshape(a.shape[0] * a.shape[1], -1).astype(np.float64) for a in arrays]
    pooled = np.concatenate(pixels)
    means = np.stack([p.mean(axis=0) for p in pixels])
    stds = np.stack([p.std(axis=0) for p in pixels])
    return {"pooled_mean": pooled.mean(axis=0), "pooled_std": pooled.std(axis=0),
            "mean_of_image_means": means.mean(axis=0), "std_of_image_stds": stds.std(axis=0),
            "mean_of_image_stds": stds.mean(axis=0)}


def assert_matches(stats, arrays: list[np.ndarray]) -> None:
    expected = numpy_statistics(arrays)
    assert stats.images == len(arrays)
    assert stats.pixels == sum(a.shape[0] * a.shape[1] for a in arrays)
    for name in STATS:
        assert getattr(stats, name) == pytest.approx(list(expected[name]), rel=1e-9, abs=0), name


def test_png_fields_match_numpy(png_build):
    out, recipe = png_build
    stats = compute_statistics(out, CONFIG, progress=False)
    assert (stats.config, stats.split) == (CONFIG, "train")
    by_name = {f.field: f for f in stats.fields}
    assert list(by_name) == ["image", "mask", "depth"]  # bg is not a default field
    assert [(f.channels, f.bit_depth) for f in stats.fields] == [
        (["R", "G", "B"], 8), (["value"], 8), (["value"], 16)]
    for name, field_stats in by_name.items():
        assert_matches(field_stats, [recipe.arrays(i)[name] for i in range(SAMPLES)])
    assert by_name["depth"].pooled_mean[0] > 30000  # raw 16-bit values, not rescaled


def test_channels_are_in_rgb_order(png_build):
    """Each channel's mean is that of the RGB array's channel (a BGR mix-up swaps R and B)."""
    out, recipe = png_build
    image = compute_statistics(out, CONFIG, fields=["image"], progress=False).fields[0]
    arrays = [recipe.arrays(i)["image"] for i in range(SAMPLES)]
    red = np.concatenate([a[:, :, 0].ravel() for a in arrays]).mean()
    blue = np.concatenate([a[:, :, 2].ravel() for a in arrays]).mean()
    assert abs(red - blue) > 0.1
    assert image.pooled_mean[0] == pytest.approx(red, rel=1e-12)
    assert image.pooled_mean[2] == pytest.approx(blue, rel=1e-12)


def test_jpeg_field_matches_cv2_decoding(tmp_path):
    recipe = build_fake(tmp_path / "jpg", image_format="jpg")[0]
    stats = compute_statistics(tmp_path / "jpg", CONFIG, fields=["image"], progress=False)
    decoded = []
    for index in range(SAMPLES):
        data = recipe.make(index).sample.fields["image"]
        assert data[:2] == b"\xff\xd8"
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        decoded.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    assert not np.array_equal(decoded[0], recipe.arrays(0)["image"])  # lossy: really JPEG
    assert_matches(stats.fields[0], decoded)


def test_named_fields_in_the_order_given(png_build):
    out, recipe = png_build
    stats = compute_statistics(out, CONFIG, fields=["bg", "depth", "bg"], progress=False)
    assert [f.field for f in stats.fields] == ["bg", "depth"]
    assert_matches(stats.fields[0], [recipe.arrays(i)["bg"] for i in range(SAMPLES)])


@pytest.mark.parametrize("fields, message", [
    (["alpha"], r"declares no single-image field alpha \(it has image, mask, depth, bg\)"),
    (["meta"], "declares no single-image field meta")])
def test_unknown_fields_are_refused(png_build, fields, message):
    with pytest.raises(SourceError, match=message):
        compute_statistics(png_build[0], CONFIG, fields=fields, progress=False)


def test_missing_folder_config_or_split_says_how_to_build(png_build, tmp_path):
    out = png_build[0]
    with pytest.raises(SourceError, match=r"holds no split 'val' of stats-fake \(it has train\) "
                                          r"\(choose one of them: --split train\)"):
        compute_statistics(out, CONFIG, split="val", progress=False)
    with pytest.raises(SourceError, match=r"holds no config 'i-him'.*mattehub build i-him"):
        compute_statistics(out, "i-him", progress=False)
    with pytest.raises(SourceError, match="does not exist.*mattehub build stats-fake"):
        compute_statistics(tmp_path / "nowhere", CONFIG, progress=False)


def test_damaged_shard_is_named(tmp_path):
    out = tmp_path / "damaged"
    build_fake(out)
    shard = out / CONFIG / "train-000001.parquet"
    shard.write_bytes(shard.read_bytes()[:-100])
    with pytest.raises(SourceError, match=r"train-000001\.parquet: .*mattehub verify"):
        compute_statistics(out, CONFIG, progress=False)


def test_write_statistics_shows_them_in_both_cards(tmp_path):
    out = tmp_path / "carded"
    build_fake(out)
    layout = OutputLayout(out)
    assert "#### Statistics" not in (out / "README.md").read_text(encoding="utf-8")
    stats = compute_statistics(out, CONFIG, progress=False)
    path = write_statistics(out, stats)
    assert path == layout.split_summary(CONFIG, "train")
    summary = read_json(path)
    assert summary["num_examples"] == SAMPLES  # the rest of the summary is kept
    assert Statistics.from_dict(summary["statistics"]) == stats
    assert summary["statistics"]["fields"][2]["value_scale"] == "raw 16-bit pixel values 0..65535"
    image = stats.fields[0]
    row = (f"| `image` | R | 8 (0..255) | {SAMPLES} | {image.pixels} | "
           f"{image.pooled_mean[0]:.4f} | {image.pooled_std[0]:.4f} |")
    for card in (out / "README.md", out / "wds" / "README.md"):
        text = card.read_text(encoding="utf-8")
        section = text.split("#### Statistics\n", 1)[1]
        assert row in section and "std of image stds" in section and "ddof=0" in section
        assert "| `depth` | value | 16 (0..65535) |" in section


def _stored_statistics(out: Path) -> tuple[dict | None, str]:
    """The statistics in the split summary, and the Parquet card's text."""
    summary = read_json(OutputLayout(out).split_summary(CONFIG, "train"))
    return summary.get("statistics"), (out / "README.md").read_text(encoding="utf-8")


def test_no_op_rebuild_keeps_statistics_and_changed_data_drops_them(tmp_path):
    out = tmp_path / "rebuilt"
    build_fake(out)
    stats = compute_statistics(out, CONFIG, progress=False)
    write_statistics(out, stats)
    report = build_fake(out)[1]  # the same build again: every shard kept
    assert (report.reused_shards, report.shards) == (3, 3)
    stored, card = _stored_statistics(out)
    assert Statistics.from_dict(stored) == stats and "#### Statistics" in card
    build_fake(out, num_samples=SAMPLES - 2, overwrite=True)  # other data: figures stale
    stored, card = _stored_statistics(out)
    assert stored is None and "#### Statistics" not in card
    write_statistics(out, compute_statistics(out, CONFIG, progress=False))
    build_fake(out, num_samples=SAMPLES - 2, seed=4, overwrite=True)  # same files, other bytes
    stored, card = _stored_statistics(out)
    assert stored is None and "#### Statistics" not in card


def test_statistics_are_kept_only_for_the_same_files_and_sha256():
    files, sha256 = {"parquet": ["a/train-000000.parquet"]}, {"parquet": ["0" * 64]}
    new = {"files": files, "sha256": sha256}
    entry = {"config": CONFIG, "split": "train", "fields": []}
    old = dict(new, statistics=entry)
    assert kept_statistics(old, new) == entry
    assert kept_statistics(old, dict(new, sha256={"parquet": ["1" * 64]})) is None
    assert kept_statistics(old, dict(new, files={**files, "webdataset": []})) is None
    assert kept_statistics({"files": files, "statistics": entry}, new) is None  # no sha256 yet
    assert kept_statistics(new, new) is None and kept_statistics(None, new) is None


def test_webdataset_only_folder_says_stats_needs_parquet(tmp_path):
    out = tmp_path / "wds-only"
    build_fake(out, formats=("webdataset",))
    with pytest.raises(SourceError) as caught:
        compute_statistics(out, CONFIG, progress=False)
    message = str(caught.value)
    assert message.startswith(f"{out}: has no Parquet shards of {CONFIG}/train")
    assert message.count(str(out)) == 1 and "-wds" not in message
    assert "`mattehub stats` reads the Parquet shards" in message
    assert "`--format parquet,webdataset` or `--format parquet`" in message


def test_totals_are_exact_beyond_int64():
    """3000 images of 10**7 pixels at 65535: the sum of squares passes int64 (a naive int64
    total wraps around); mean and std stay exact."""
    full, empty = ChannelTotals(1), ChannelTotals(1)
    n = 10**7
    sums = (np.int64(n), np.array([65535 * n], np.int64), np.array([65535**2 * n], np.int64))
    zeros = (np.int64(n), np.zeros(1, np.int64), np.zeros(1, np.int64))
    for _ in range(1500):
        full.add(*sums)
        full.add(*sums)
        empty.add(*sums)
        empty.add(*zeros)
    assert full.squares[0] == 3000 * 65535**2 * n > INT64_MAX
    assert full.statistics() == {"pooled_mean": [65535.0], "pooled_std": [0.0],
                                 "mean_of_image_means": [65535.0], "std_of_image_stds": [0.0],
                                 "mean_of_image_stds": [0.0]}
    half = empty.statistics()
    assert half["pooled_mean"] == half["pooled_std"] == [32767.5]
    assert half["mean_of_image_means"][0] == pytest.approx(32767.5, rel=1e-12)
    assert half["std_of_image_stds"] == half["mean_of_image_stds"] == [0.0]


def test_std_of_a_nearly_constant_channel_is_exact():
    """10**10 pixels at 65535 but one at 65534: std sqrt(N-1)/N. Float moments (E[x²] -
    E[x]²) cancel to noise here; the integer formula keeps it."""
    n, top = 10**10, 65535
    totals = ChannelTotals(1)
    totals.add(n, [top * n - 1], [top * top * (n - 1) + (top - 1) ** 2])
    stats = totals.statistics()
    expected = (n - 1) ** 0.5 / n
    assert stats["pooled_std"][0] == pytest.approx(expected, rel=1e-12)
    assert stats["mean_of_image_stds"][0] == pytest.approx(expected, rel=1e-12)
    assert stats["pooled_mean"][0] == pytest.approx(top - 1 / n, rel=1e-15)


def test_image_sums_of_16_bit_pixels_are_exact():
    """Squares of uint16 values are taken in int64, not in uint16 or float."""
    image = np.full((1000, 1500), 65535, np.uint16)
    image[0, :3] = [1, 2, 65534]
    count, sums, squares = image_sums(image)
    odd, top = [1, 2, 65534], 65535
    rest = image.size - len(odd)
    assert count == image.size
    assert int(sums[0]) == sum(odd) + rest * top
    assert int(squares[0]) == sum(v * v for v in odd) + rest * top * top


def test_one_field_cannot_mix_image_kinds():
    accumulator = FieldAccumulator("mask")
    accumulator.add_image(np.zeros((2, 3), np.uint8), "sample 0")
    with pytest.raises(SourceError, match=r"sample 1: field mask is 8-bit with 3 channel"):
        accumulator.add_image(np.zeros((2, 3, 3), np.uint8), "sample 1")
    with pytest.raises(SourceError, match=r"sample 2: field mask is 16-bit"):
        accumulator.add_image(np.zeros((2, 3), np.uint16), "sample 2")


def test_text_table_is_aligned_and_json_round_trips(png_build):
    stats = compute_statistics(png_build[0], CONFIG, progress=False)
    lines = stats.format().splitlines()
    table = lines[1:7]  # header, image R/G/B, mask, depth
    assert [line.split()[0] for line in table] == ["field"] + ["image"] * 3 + ["mask", "depth"]
    assert len({len(line) for line in table}) == 1  # right-aligned numbers: equal widths
    assert table[0].split()[:2] == ["field", "channel"] and "std of image stds" in table[0]
    assert "raw pixel values" in lines[0] and "std of image stds as 'STD'" in lines[-1]
    assert Statistics.from_dict(json.loads(json.dumps(stats.as_dict()))) == stats
