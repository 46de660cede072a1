"""Dataset cards and preview sheets: snippets that run, valid metadata, one section per
config, one labelled preview sheet per split."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import torch
from huggingface_hub import DatasetCard
from PIL import Image

from conftest import i_him_recipe
from mattehub.contract import codecs
from mattehub.build.run import BuildOptions, build
from mattehub.output.card_yaml import licence_fields, size_category
from mattehub.cli.demo import run_demo
from mattehub.families.surreal_alpha.standin import make_surreal_sources
from mattehub.core.jsonio import read_json
from mattehub.output.layout import OutputLayout
from mattehub.output.preview import contact_sheet
from mattehub.families.surreal_alpha.options import SurrealAlphaOptions
from mattehub.families.surreal_alpha.recipe import SurrealAlphaRecipe
from mattehub.contract.sample import EncodedSample

REPO = Path(__file__).resolve().parents[1]
CARDS = {"parquet": "README.md", "webdataset": "wds/README.md"}
HUB_REPO = "you/i-him-shards"
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The demo output folder (every config), built once for this module."""
    out = tmp_path_factory.mktemp("card") / "mattehub-demo"
    run_demo(out, workers=1, progress=False)
    return out


@pytest.fixture(scope="module")
def summaries(demo) -> list[dict]:
    return [read_json(path) for path in OutputLayout(demo).summaries()]


def card_text(demo: Path, fmt: str) -> str:
    return (demo / CARDS[fmt]).read_text(encoding="utf-8")


def python_blocks(markdown: str) -> list[str]:
    return PYTHON_BLOCK.findall(markdown)


def markdown_section(markdown: str, heading: str) -> str:
    """The text under ``## heading`` up to the next heading of that level."""
    return markdown.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]


def run_snippet(code: str, name: str) -> dict:
    namespace: dict = {"__name__": name}
    exec(compile(code, name, "exec"), namespace)  # noqa: S102 - the snippets under test
    return namespace


@pytest.mark.parametrize("fmt", sorted(CARDS))
def test_every_snippet_of_both_demo_cards_runs(demo, summaries, fmt, monkeypatch):
    monkeypatch.chdir(demo.parent)  # the cards say: run from the folder holding the output
    blocks = python_blocks(card_text(demo, fmt))
    configs = sorted({s["config"] for s in summaries})
    for config in configs:  # each config has a snippet naming it
        assert any(f'"{config}' in block for block in blocks), config
    for number, block in enumerate(blocks):
        namespace = run_snippet(block, f"{CARDS[fmt]} block {number}")
        assert "sample" in namespace or "lists" in namespace, block


def test_config_snippets_name_every_split(demo, summaries):
    splits = {}
    for s in summaries:
        splits.setdefault(s["config"], []).append(s["split"])
    text = card_text(demo, "parquet")
    assert "# splits: comp, natural" in text and "# splits: easy, hard, medium" in text
    for config, names in splits.items():
        assert f'load_dataset("mattehub-demo", "{config}", streaming=True)   # splits: ' \
               f'{", ".join(names)}' in text


def test_readme_hub_lines_load_the_staged_repos(demo, tmp_path):
    from mattehub.cli.main import main

    block, = python_blocks(markdown_section((REPO / "README.md").read_text(), "Publish to the Hub"))
    stage = tmp_path / "stage"
    assert main(["push", str(demo), HUB_REPO, "--stage", str(stage), "--no-progress",
                 "--i-hold-rights", "surreal-license", "--i-hold-rights", "adobe-dim-license"]) == 0
    for repo in (f"{HUB_REPO}-wds", HUB_REPO):
        assert f'"{repo}"' in block
        block = block.replace(f'"{repo}"', f'"{(stage / repo).as_posix()}"')
    namespace = run_snippet(block, "README hub lines")
    assert "alpha" in next(iter(namespace["ds"]))
    row = next(iter(namespace["tars"]))
    assert row["instance_alphas.mp"] and all(isinstance(m, Image.Image) for m in row["instance_alphas.mp"])


def test_readme_load_snippets_run_on_the_demo(demo, monkeypatch):
    monkeypatch.chdir(demo.parent)
    blocks = python_blocks(markdown_section((REPO / "README.md").read_text(), "Load what you built"))
    assert len(blocks) == 2
    for number, block in enumerate(blocks):
        run_snippet(block, f"README load block {number}")


def test_readme_training_snippet_runs_on_the_demo(demo, monkeypatch):
    monkeypatch.chdir(demo.parent)
    block, = python_blocks(markdown_section((REPO / "README.md").read_text(),
                                            "Train on it: parallel streams, synthesis on the fly, clips as arrays"))
    batch = run_snippet(block, "README training block")["batch"]
    assert batch["image"].dtype == torch.uint8 and batch["image"].shape[:2] == (8, 512)
    assert batch["instance_alphas"].shape[:2] == batch["instance_mask"].shape[:2]
    assert batch["instance_mask"].sum() >= 8 * 1  # every sample has at least one instance


@pytest.mark.parametrize("fmt", sorted(CARDS))
def test_single_format_card_runs_and_names_no_missing_card(hhm, tmp_path, fmt, monkeypatch):
    out = tmp_path / "shards"
    build(i_him_recipe(hhm), BuildOptions(out=out, num_samples=3, formats=(fmt,), progress=False))
    other = next(f for f in CARDS if f != fmt)
    assert not (out / CARDS[other]).exists()
    text = (out / CARDS[fmt]).read_text()
    assert f"shards/{CARDS[other]}" not in text
    assert DatasetCard(text).data.license == "cc-by-nc-4.0"  # one config, one Hub licence id
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(text)
    assert len(blocks) == (1 if fmt == "parquet" else 3)
    for number, block in enumerate(blocks):
        run_snippet(block, f"{fmt}-only card block {number}")


@pytest.mark.parametrize("fmt", sorted(CARDS))
def test_card_metadata_is_present_and_valid(demo, summaries, fmt):
    data = DatasetCard(card_text(demo, fmt)).data.to_dict()
    buckets = json.loads(resources.files("datasets.utils.resources")
                         .joinpath("size_categories.json").read_text())
    assert data["size_categories"] == ["n<1K"] and data["size_categories"][0] in buckets
    assert data["pretty_name"].startswith("mattehub")
    # i-him and the releases are cc-by-nc-4.0, ppm-100 cc-by-nc-sa-4.0, v-him inherits its
    # sources, videomatte240k is MIT: a mixed card
    assert {s["build"]["recipe"]["licence"] for s in summaries} == {
        "cc-by-nc-4.0", "cc-by-nc-sa-4.0", "other", "mit"}
    assert data["license"] == "other"
    assert data["license_name"] == "mixed-source-licences"
    assert data["license_link"] == "README.md#licences"
    assert "## Licences" in card_text(demo, fmt)
    suffix = "-wds" if fmt == "webdataset" else ""
    assert sorted(c["config_name"] for c in data["configs"]) == \
        sorted({s["config"] + suffix for s in summaries})


def test_size_categories_and_licence_rules():
    assert [size_category(n) for n in (0, 999, 1000, 9999, 10_000, 2_500_000, 10**12)] == \
        ["n<1K", "n<1K", "1K<n<10K", "1K<n<10K", "10K<n<100K", "1M<n<10M", "n>1T"]
    assert licence_fields({"cc-by-nc-4.0"}) == {"license": "cc-by-nc-4.0"}
    assert licence_fields({"other"})["license"] == "other"
    assert set(licence_fields({"cc-by-nc-4.0", "other"})) == {"license", "license_name", "license_link"}


@pytest.mark.parametrize("fmt", sorted(CARDS))
def test_one_section_per_config_and_shared_text_once(demo, summaries, fmt):
    text = card_text(demo, fmt)
    suffix = "-wds" if fmt == "webdataset" else ""
    for config in {s["config"] for s in summaries}:
        assert text.count(f"### `{config}{suffix}`:") == 1, config
    for once in ("## Load it", "## Sample format", "## Converted from the MaGGIe HIM release",
                 "The MaGGIe HIM release is CC BY-NC 4.0.", "@inproceedings{huynh2024maggie",
                 "## SURREAL renders as alpha-matting samples", "@inproceedings{varol17_surreal",
                 "@inproceedings{xu2017deep"):
        assert text.count(once) == 1, once
    section = text.split(f"### `him2k{suffix}`:", 1)[1].split("\n### ", 1)[0]
    assert "| `comp` | 4 | 0 | 0 | none |" in section
    assert "| `natural` | 2 | 0 | 0 | none |" in section


def test_sample_format_claims_lossless_only_for_what_mattehub_makes(demo):
    text = card_text(demo, "parquet")
    sample_format = " ".join(markdown_section(text, "Sample format").split())
    assert "What mattehub makes is lossless PNG" in sample_format
    assert "depth 16-bit (millimetres, 0 = invalid) or 8-bit relative" in sample_format
    assert "keep the published bytes" in sample_format and "each config's section" in sample_format
    assert "depth maps lossless 16-bit" not in sample_format
    overlay = " ".join(markdown_section(text, "Overlay + mask + depth").split())
    assert "q50 JPEG" in overlay and "the published depth JPEG" in overlay  # the section says


def test_demo_statistics_are_rendered_without_importing_statistics(demo):
    """The demo stores overlay-depth statistics; the card renders them from the summary, and
    importing the card module does not import mattehub.analysis.statistics (no import cycle)."""
    section = card_text(demo, "parquet").split("### `overlay-depth`:", 1)[1].split("\n### ", 1)[0]
    assert "#### Statistics" in section and "| `depth` | value | 16 (0..65535) |" in section
    code = "import sys, mattehub.output.card; assert 'mattehub.analysis.statistics' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


@pytest.mark.parametrize("fmt", sorted(CARDS))
def test_one_preview_per_split_linked_from_the_card(demo, summaries, fmt):
    layout = OutputLayout(demo)
    text = card_text(demo, fmt)
    prefix = "../" if fmt == "webdataset" else ""
    for s in summaries:
        sheet = layout.preview(s["config"], s["split"])
        assert sheet.is_file(), sheet
        assert f"]({prefix}{layout.relative(sheet)})" in text


def test_mask_configs_get_a_mask_column(demo):
    layout = OutputLayout(demo)
    width = {config: Image.open(layout.preview(config, "comp")).width for config in ("him2k", "m-him2k")}
    assert width["m-him2k"] > width["him2k"] * 1.2  # same images, one more column


def _png(value: int, shape=(30, 40)) -> bytes:
    return codecs.encode_png(np.full(shape, value, np.uint8))


def test_sheet_columns_are_labelled():
    rgb = codecs.encode_png(np.full((30, 40, 3), 90, np.uint8))
    image = {"image": rgb, "alpha": _png(200), "instance_alphas": [_png(200)], "meta": {}}
    masked = dict(image, instance_masks=[_png(255)])
    clip = {"frames": [rgb] * 3, "instance_alphas": [[_png(200)]] * 3,
            "instance_masks": [[_png(255)], [], [_png(255)]], "meta": {}}
    assert contact_sheet([EncodedSample(0, "a", image)])[1] == ["image", "alpha", "instances"]
    sheet, labels = contact_sheet([EncodedSample(0, "a", masked)] * 2)
    assert labels == ["image", "alpha", "instances", "masks"]
    assert sheet.shape[0] > 2 * 180  # a header row above the two sample rows
    assert contact_sheet([EncodedSample(0, "c", clip)])[1] == \
        ["frame 0", "instances 0", "masks 0", "frame T-1", "instances T-1", "masks T-1"]


SURREAL_SITE = "https://www.di.ens.fr/willow/research/surreal/data/"


@pytest.fixture(scope="module")
def surreal_folder(hhm, tmp_path_factory) -> Path:
    """A folder holding only a small surreal-alpha build (the demo tree, one background per
    frame, every 4th frame), so its card is SURREAL's alone."""
    root = tmp_path_factory.mktemp("surreal")
    sources = make_surreal_sources(root / "sources")
    recipe = SurrealAlphaRecipe(SurrealAlphaOptions(data_dir=str(sources.data_dir),
                                                    bg_root=str(hhm.bg_root), num_bgs=1,
                                                    frame_stride=4), seed=0)
    build(recipe, BuildOptions(out=root / "surreal-shards", progress=False))
    return root / "surreal-shards"


@pytest.mark.parametrize("fmt", sorted(CARDS))
def test_surreal_alpha_card_carries_its_licence_and_its_snippets_run(surreal_folder, fmt,
                                                                     monkeypatch):
    text = (surreal_folder / CARDS[fmt]).read_text()
    data = DatasetCard(text).data.to_dict()
    assert (data["license"], data["license_name"], data["license_link"]) == \
        ("other", "surreal-license", SURREAL_SITE)
    suffix = "-wds" if fmt == "webdataset" else ""
    assert [c["config_name"] for c in data["configs"]] == [f"surreal-alpha{suffix}"]
    licences = " ".join(markdown_section(text, "Licences").split())
    for term in ("non-commercial scientific research only", "no redistribution of the data",
                 SURREAL_SITE, "inherit its terms", "your responsibility"):
        assert term in licences, term
    about = markdown_section(text, "SURREAL renders as alpha-matting samples")
    assert "Deep Image Matting (Xu et al., CVPR 2017)" in " ".join(about.split())
    assert "@inproceedings{varol17_surreal" in text and "@inproceedings{xu2017deep" in text
    assert "MaGGIe" not in text  # no other recipe's prose, licence or citation
    monkeypatch.chdir(surreal_folder.parent)
    blocks = python_blocks(text)
    assert any(f'"surreal-alpha{suffix}"' in block for block in blocks)
    for number, block in enumerate(blocks):
        namespace = run_snippet(block, f"surreal-alpha {CARDS[fmt]} block {number}")
        assert "sample" in namespace or "lists" in namespace, block
    if fmt == "parquet":
        sample = run_snippet(blocks[-1], "surreal-alpha config snippet")["sample"]
        assert np.asarray(sample["depth"]).dtype == np.uint16
        assert set(np.unique(np.asarray(sample["alpha"]))) <= {0, 255}


def test_card_licence_mixes_when_surreal_shares_a_card(demo):
    data = DatasetCard(card_text(demo, "parquet")).data.to_dict()
    assert data["license_name"] == "mixed-source-licences"  # surreal-alpha next to i-him...
    licences = markdown_section(card_text(demo, "parquet"), "Licences")
    assert "**`surreal-alpha`** (licence id `other`)" in licences and SURREAL_SITE in licences


def _surreal_readme_blocks() -> list[str]:
    readme = (REPO / "README.md").read_text()
    return python_blocks(markdown_section(readme, "SURREAL renders as matting data (`surreal-alpha`)"))


def test_readme_surreal_shard_snippet_runs_on_the_demo(demo, monkeypatch):
    monkeypatch.chdir(demo.parent)
    shards = _surreal_readme_blocks()[0]
    assert 'load_dataset("mattehub-demo", "surreal-alpha"' in shards
    namespace = run_snippet(shards, "README surreal-alpha shards")
    assert namespace["joints"].shape == (24, 2) and namespace["depth"].max() > 0


def test_readme_surreal_streaming_snippet_runs_on_the_demo_tree(demo, monkeypatch):
    monkeypatch.chdir(demo.parent)
    stream = _surreal_readme_blocks()[1]
    sources = Path("mattehub-demo") / "_sources"
    stream = stream.replace('"SURREAL/data/cmu"', repr(str(sources / "surreal-demo/SURREAL/data/cmu")))
    stream = stream.replace('"BG"', repr(str(sources / "hhm-demo/bg")))
    row = run_snippet(stream, "README surreal-alpha streaming")["row"]
    assert row["meta"]["recipe"] == "surreal-alpha" and row["meta"]["layout"] == "native"
    assert np.asarray(row["depth"]).dtype == np.uint16


def test_readme_picture_is_small():
    assert (REPO / "docs" / "preview-i-him.png").stat().st_size < 400_000


def test_dry_run_push_of_the_demo_lists_exactly_its_files_and_no_token(demo, monkeypatch, capfd):
    """The issue's check on the real demo (every config, with the rights to every licence):
    the dry run lists exactly the folder's files minus the demo sources, split into the
    Parquet and the WebDataset repo, makes no network call, prints no token."""
    import socket

    import huggingface_hub
    from mattehub.cli.main import main
    from test_hub import listed_files, repo_split, walk_minus_ignored, without_cards

    def refuse(*args, **kwargs):
        raise AssertionError("network call attempted")

    token = "hf_PlantedDemoToken0123456789abcdefgh"
    monkeypatch.setenv("HF_TOKEN", token)
    monkeypatch.setattr(huggingface_hub, "HfApi", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    code = main(["push", str(demo), "me/mattehub-demo", "--dry-run", "--no-progress",
                 "--i-hold-rights", "surreal-license", "--i-hold-rights", "adobe-dim-license"])
    out, err = capfd.readouterr()
    assert code == 0, err
    assert without_cards(listed_files(out)) == repo_split(walk_minus_ignored(demo), "me/mattehub-demo")
    assert token not in out + err
