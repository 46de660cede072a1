"""``mattehub push`` over the README demo: the licence gate's decision for every config, and
``--stage``'s two repos loaded with plain ``datasets`` in a process that never imports
mattehub (no network: the dry run and the stage make no call)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from mattehub.cli.demo import run_demo
from mattehub.cli.main import main
from mattehub.families.registry import CONFIG_NAMES

REPO = "me/demo"
CLIPS = ["v-him", "v-him2k5", "v-him60", "videomatte240k-comp", "videomatte240k",
         "videomatte240k-rvm-eval"]  # sorted by preview name
"""The demo's clip configs: each gets a ``-preview`` config in the Parquet repo."""
ALL_RIGHTS = ("--i-hold-rights", "surreal-license", "--i-hold-rights", "adobe-dim-license")

PLAIN_LOAD = """
import json, sys
import datasets
repos = json.loads(sys.argv[1])
rows = {}
for root, names in repos.items():
    for name in names:
        ds = datasets.load_dataset(root, name, streaming=True)
        split = sorted(ds)[0]
        row = next(iter(ds[split]))
        rows[name] = sorted(row)
assert "mattehub" not in sys.modules and not any(m.startswith("mattehub.") for m in sys.modules)
print(json.dumps(rows))
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("push-demo") / "mattehub-demo"
    run_demo(out, workers=1, progress=False)
    return out


@pytest.fixture(scope="module")
def stage(demo, tmp_path_factory) -> Path:
    """The demo staged with the rights to every licence."""
    target = tmp_path_factory.mktemp("stage")
    code = main(["push", str(demo), REPO, "--stage", str(target), "--no-progress", *ALL_RIGHTS])
    assert code == 0
    return target


def push(capfd, *args) -> tuple[int, str, str]:
    code = main(["push", *map(str, args), "--no-progress"])
    out, err = capfd.readouterr()
    return code, out, err


def test_dry_run_of_the_demo_refuses_forbidden_sources_and_decides_every_config(demo, capfd):
    code, out, err = push(capfd, demo, REPO, "--dry-run")
    assert code == 2
    decided = dict(re.findall(r"^  ([\w-]+): (REFUSED|PRIVATE|PUBLIC) ", out, re.MULTILINE))
    assert set(decided) == set(CONFIG_NAMES)
    assert {c for c, action in decided.items() if action == "REFUSED"} == {
        "surreal-alpha", "aim", "composition-1k"}
    assert "surreal-alpha: REFUSED (surreal-license): SURREAL" in err
    assert "aim: REFUSED (adobe-dim-license)" in err and "nothing was uploaded" in err
    assert "checking" not in out                     # refused before any check


def test_the_rights_flag_opens_only_the_licence_it_names(demo, capfd):
    code, out, err = push(capfd, demo, REPO, "--dry-run", "--i-hold-rights", "surreal-license")
    assert code == 2
    assert "surreal-alpha: PRIVATE (surreal-license)" in out and "surreal-alpha" not in err
    assert "composition-1k: REFUSED (adobe-dim-license)" in err


def test_stage_writes_exactly_what_the_dry_run_lists(demo, stage, capfd):
    code, out, err = push(capfd, demo, REPO, "--dry-run", *ALL_RIGHTS)
    assert code == 0, err
    assert "repo visibility: private, because of" in out
    listed = {}
    for block in re.split(r"^would upload for dataset repo ", out, flags=re.MULTILINE)[1:]:
        listed[block.split(" ", 1)[0]] = {m[2]: int(m[1].replace(",", "")) for m in
                                          re.finditer(r"^\s*([\d,]+)  (\S+)$", block, re.MULTILINE)}
    staged = {repo: {p.relative_to(stage / repo).as_posix(): p.stat().st_size
                     for p in (stage / repo).rglob("*") if p.is_file()}
              for repo in (REPO, REPO + "-wds")}
    assert set(listed) == {REPO, REPO + "-wds"}
    for repo in listed:   # the cards are rendered again for the dry run: same text
        assert listed[repo] == staged[repo]
    assert not any(p.endswith(".tar") for p in staged[REPO])
    assert not any(p.endswith(".parquet") for p in staged[REPO + "-wds"])


def test_staged_repos_load_every_config_without_mattehub(stage):
    root = stage
    repos = {str(root / REPO): CONFIG_NAMES + [c + "-preview" for c in CLIPS],
             str(root / (REPO + "-wds")): [c + "-wds" for c in CONFIG_NAMES]}
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    done = subprocess.run([sys.executable, "-P", "-c", PLAIN_LOAD, json.dumps(repos)],
                          capture_output=True, text=True, env=env, cwd=root, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(rows) == set(CONFIG_NAMES) | {c + "-wds" for c in CONFIG_NAMES} | {c + "-preview" for c in CLIPS}
    assert rows["v-him-preview"] == ["__key__", "first_alpha", "first_frame"]
    assert "alpha" in rows["surreal-alpha"] and "frames" in rows["v-him"]
    assert "image.jpg" in rows["i-him-wds"] or "image.png" in rows["i-him-wds"]


def test_clip_configs_get_a_thumbnail_preview_of_their_first_frames(stage):
    """Each clip config's ``-preview`` config (and no other) holds, per clip of its first
    shard, the key, the first frame and the union of its first mattes, at most 192 px a side."""
    import cv2
    import numpy as np

    root = stage / REPO
    assert sorted(p.name for p in root.glob("*-preview")) == [c + "-preview" for c in CLIPS]
    card = (root / "README.md").read_text()
    for clip in CLIPS:
        assert f"- config_name: {clip}-preview" in card
        preview = pq.read_table(sorted((root / f"{clip}-preview").glob("*.parquet"))[0]).to_pylist()
        source = pq.read_table(sorted((root / clip).glob("*.parquet"))[0],
                               columns=["__key__", "frames", "instance_alphas"]).to_pylist()
        assert [r["__key__"] for r in preview] == [r["__key__"] for r in source][:len(preview)]
        for thumb, row in zip(preview, source):
            small = cv2.imdecode(np.frombuffer(thumb["first_frame"]["bytes"], np.uint8), cv2.IMREAD_COLOR)
            alpha = cv2.imdecode(np.frombuffer(thumb["first_alpha"]["bytes"], np.uint8), cv2.IMREAD_UNCHANGED)
            frame = cv2.imdecode(np.frombuffer(row["frames"][0]["bytes"], np.uint8), cv2.IMREAD_COLOR)
            assert max(small.shape[:2]) == min(192, max(frame.shape[:2])) and alpha.shape == small.shape[:2]
            ratio = frame.shape[1] / frame.shape[0]
            assert abs(small.shape[1] / small.shape[0] - ratio) < 0.05
            mattes = [cv2.imdecode(np.frombuffer(m["bytes"], np.uint8), cv2.IMREAD_GRAYSCALE)
                      for m in row["instance_alphas"][0]]
            assert (alpha.max() > 0) == any(m.max() > 0 for m in mattes)


def test_staged_cards_name_both_repos_and_what_the_viewer_shows(stage):
    parquet = (stage / REPO / "README.md").read_text(encoding="utf-8")
    tars = (stage / (REPO + "-wds") / "README.md").read_text(encoding="utf-8")
    assert f"load_dataset(\"{REPO}\", CONFIG, streaming=True)" in parquet
    assert f"[`{REPO}-wds`](https://huggingface.co/datasets/{REPO}-wds)" in parquet
    assert f"[`{REPO}`](https://huggingface.co/datasets/{REPO})" in tars
    viewer = parquet.split("**Dataset viewer.**", 1)[1].split("\n", 1)[0]
    assert "page index" in viewer and all(f"`{c}`" in viewer for c in ("v-him", "v-him2k5", "v-him60"))
    assert "`i-him`" not in viewer                        # image configs are not clips
    assert "](preview/" in tars and "](../preview/" not in tars   # sheets inside the repo
    for shard in (stage / REPO).rglob("*.parquet"):    # what the viewer check read
        group = pq.ParquetFile(shard).metadata.row_group(0)
        assert all(group.column(c).has_offset_index for c in range(group.num_columns))


def test_stage_inside_the_output_folder_is_refused(demo, capfd):
    code, _, err = push(capfd, demo, REPO, "--stage", demo / "staged", *ALL_RIGHTS)
    assert code == 2 and "inside the output folder" in err
    assert not (demo / "staged").exists()


def test_the_cards_list_every_configs_declared_terms(demo):
    card = (demo / "README.md").read_text(encoding="utf-8")
    licences = card.split("## Licences", 1)[1].split("## Citation", 1)[0]
    for config in CONFIG_NAMES:
        assert f"\n- `{config}`: " in licences, config
    assert ("- `surreal-alpha`: SURREAL Code and Data License (non-commercial scientific "
            "research) (surreal-license): redistribution forbidden, non-commercial only.") in licences
    tars = (demo / "wds" / "README.md").read_text(encoding="utf-8")
    assert "\n- `aim-wds`: Adobe Deep Image Matting Dataset License Agreement (adobe-dim-license)" in tars
