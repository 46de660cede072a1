"""Every config of the demo through as_arrays + TrainTransform (augmented) + pad_collate in a
torch DataLoader with 2 workers."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import mattehub  # noqa: E402  (after the torch check)
from mattehub.cli.demo import run_demo  # noqa: E402
from mattehub.families.registry import CONFIG_NAMES  # noqa: E402
from mattehub.training import AugmentOptions, GuidanceOptions, TrainTransform, as_arrays, pad_collate  # noqa: E402

pytestmark = pytest.mark.usefixtures("fork_safe_opencv")  # DataLoader workers fork (conftest)

CROP = 64
AUGMENT = AugmentOptions(scale=(0.6, 1.4), guidance=GuidanceOptions(from_alphas=True))


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory) -> Path:
    """``mattehub demo`` output: every config, built from the families' stand-in sources."""
    out = tmp_path_factory.mktemp("demo")
    run_demo(out, workers=1, progress=False)
    return out


def test_the_demo_has_every_config(demo_out):
    assert sorted(json.loads((demo_out / "_stats" / "index.json").read_text())) == CONFIG_NAMES


@pytest.mark.parametrize("config", CONFIG_NAMES)
def test_every_config_trains_through_two_workers(demo_out, config):
    split = json.loads((demo_out / "_stats" / "index.json").read_text())[config]["splits"][0]
    transform = TrainTransform(crop_size=CROP, seed=1, augment=AUGMENT)
    ds = as_arrays(mattehub.stream(config, str(demo_out), split=split), "torch", transform)
    loader = torch.utils.data.DataLoader(ds, batch_size=3, collate_fn=pad_collate, num_workers=2)
    batches = [batch for _, batch in zip(range(2), loader)]
    assert batches
    for batch in batches:
        size = len(batch["__key__"])
        assert batch["pixel_mask"].shape == (size, CROP, CROP)
        rgb = "frames" if "frames" in batch else "image"
        assert batch[rgb].dtype == torch.uint8 and batch[rgb].shape[-3:] == (CROP, CROP, 3)
        unknown = "unknown" if "unknown" in batch else "instance_unknown"  # mask-only: from the mask
        assert batch[unknown].dtype == torch.bool and batch[unknown].shape[-2:] == (CROP, CROP)
        if "instance_alphas" in batch:  # guidance masks (stored, or made from the mattes) perturbed
            assert batch["instance_masks"].shape == batch["instance_alphas"].shape
