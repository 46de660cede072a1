"""mattehub.families.overlay_depth.depth_model: loading by local path, output format, polarity, determinism, errors.

Every model is a tiny random one saved by tests/tiny_depth.py into a temporary folder and loaded
by path, so nothing is ever downloaded.
"""
from __future__ import annotations

import pickle
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from transformers import (AutoImageProcessor, AutoModelForDepthEstimation, CHMv2Config,
                          DepthAnythingConfig)

from mattehub.families.overlay_depth.depth_model import INVERSE_DEPTH_TYPES, METRIC_DEPTH_TYPES, DepthModel, DepthModelError, display_name, is_inverse_depth, normalise_depth, require_depth_extra
from mattehub.core.errors import BuildError
from tiny_depth import save_tiny_depth_model

SIZE = (96, 64)  # (width, height): not square, so a swapped width/height shows


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """Tiny dpt (inverse depth) and glpn (metric depth) models saved once for the module."""
    root = tmp_path_factory.mktemp("depth_models")
    return {kind: save_tiny_depth_model(root / f"tiny-{kind}", kind) for kind in ("dpt", "glpn")}


@pytest.fixture(scope="module")
def models(folders) -> dict[str, DepthModel]:
    """The tiny models loaded through DepthModel.load on the CPU."""
    return {kind: DepthModel.load(str(folder), device="cpu") for kind, folder in folders.items()}


@pytest.fixture(scope="module")
def images() -> list[np.ndarray]:
    """Four RGB uint8 224x224 images: smooth gradients plus noise, each different."""
    rng = np.random.default_rng(7)
    ramp = np.linspace(0, 200, 224)[None, :, None]
    return [np.clip(ramp * (i + 1) / 4 + rng.integers(0, 56, (224, 224, 3)), 0, 255)
            .astype(np.uint8) for i in range(4)]


def direct_normalised(folder: Path, images: list[np.ndarray], size: tuple[int, int]) -> np.ndarray:
    """Raw predicted_depth computed here with transformers, resized and min-max scaled to 0..255.

    No flip and no rounding: the float reference the module's output is checked against.
    """
    processor = AutoImageProcessor.from_pretrained(folder)
    model = AutoModelForDepthEstimation.from_pretrained(folder).eval()
    with torch.no_grad():
        raw = model(**processor(images=images, return_tensors="pt")).predicted_depth
    resized = F.interpolate(raw[:, None].float(), size=(size[1], size[0]), mode="bilinear",
                            align_corners=False)[:, 0].double().numpy()
    low = resized.min(axis=(1, 2), keepdims=True)
    high = resized.max(axis=(1, 2), keepdims=True)
    return (resized - low) / (high - low) * 255.0


# --- loading ---------------------------------------------------------------------------------

def test_load_by_path_reports_type_polarity_and_device(models, folders):
    dpt, glpn = models["dpt"], models["glpn"]
    assert (dpt.model_type, dpt.inverse, dpt.device) == ("dpt", True, "cpu")
    assert (glpn.model_type, glpn.inverse, glpn.device) == ("glpn", False, "cpu")
    assert dpt.name == "tiny-dpt" and dpt.source == str(folders["dpt"])


def test_name_is_never_an_absolute_local_path(folders, monkeypatch):
    assert display_name(str(folders["dpt"]) + "/") == "tiny-dpt"
    assert display_name("Intel/dpt-large") == "Intel/dpt-large"
    monkeypatch.chdir(folders["dpt"])
    assert display_name(".") == "tiny-dpt"


def test_relative_folder_that_looks_like_a_hub_id_loads_locally(folders, monkeypatch):
    monkeypatch.chdir(folders["dpt"].parent)
    model = DepthModel.load("tiny-dpt", device="cpu")
    assert model.name == "tiny-dpt" and model.model_type == "dpt"


def test_auto_device_is_cpu_without_cuda(folders):
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert DepthModel.load(str(folders["glpn"])).device == expected


def test_model_is_in_eval_mode(models):
    assert not models["dpt"].model.training and not models["glpn"].model.training


# --- output ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["dpt", "glpn"])
def test_output_is_one_uint8_map_per_image_at_the_requested_size(models, images, kind):
    maps = models[kind].predict(images, SIZE)
    assert len(maps) == len(images)
    for depth in maps:
        assert depth.dtype == np.uint8 and depth.shape == (SIZE[1], SIZE[0])


@pytest.mark.parametrize("kind", ["dpt", "glpn"])
def test_each_map_spans_0_to_255(models, images, kind):
    for depth in models[kind].predict(images, SIZE):
        assert depth.min() == 0 and depth.max() == 255


@pytest.mark.parametrize("kind", ["dpt", "glpn"])
def test_polarity_bright_is_far(models, folders, images, kind):
    """inverse (dpt): 255 - normalised raw; metric (glpn): normalised raw; within rounding."""
    reference = direct_normalised(folders[kind], images, SIZE)
    expected = 255.0 - reference if models[kind].inverse else reference
    got = np.stack(models[kind].predict(images, SIZE)).astype(np.float64)
    # |got - expected| <= 0.5: got is expected rounded; either way only where expected is at .5
    assert np.abs(got - expected).max() <= 0.5 + 1e-6
    assert np.abs(got - (255.0 - expected)).max() > 10  # the opposite polarity would not pass


def test_empty_batch_and_bad_images(models, images):
    assert models["dpt"].predict([], SIZE) == []
    with pytest.raises(ValueError, match="one batch needs one shape"):
        models["dpt"].predict([images[0], images[1][:100]], SIZE)
    with pytest.raises(ValueError, match="RGB uint8"):
        models["dpt"].predict([images[0].astype(np.float32)], SIZE)


# --- normalisation ---------------------------------------------------------------------------

def test_normalise_scales_rounds_and_flips():
    depth = np.array([[0.0, 1.0], [2.0, 4.0]], np.float32)  # 0, 63.75, 127.5, 255
    assert normalise_depth(depth, inverse=False).tolist() == [[0, 64], [128, 255]]
    assert normalise_depth(depth, inverse=True).tolist() == [[255, 191], [128, 0]]


@pytest.mark.parametrize("inverse", [False, True])
def test_constant_map_becomes_all_zero(inverse):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0/0 on the way (NaN happens to cast to 0 here)
        out = normalise_depth(np.full((3, 5), 2.5, np.float32), inverse)
    assert out.dtype == np.uint8 and out.shape == (3, 5) and not out.any()


# --- polarity table --------------------------------------------------------------------------

def test_polarity_table():
    assert {"dpt", "depth_anything", "depth_pro"} <= INVERSE_DEPTH_TYPES
    assert {"glpn", "zoedepth"} <= METRIC_DEPTH_TYPES
    assert not INVERSE_DEPTH_TYPES & METRIC_DEPTH_TYPES
    assert is_inverse_depth(SimpleNamespace(model_type="dpt")) is True
    assert is_inverse_depth(SimpleNamespace(model_type="zoedepth")) is False
    assert is_inverse_depth(SimpleNamespace(model_type="bert")) is None


def test_depth_anything_polarity_follows_its_head_type():
    assert is_inverse_depth(DepthAnythingConfig(depth_estimation_type="relative")) is True
    assert is_inverse_depth(DepthAnythingConfig(depth_estimation_type="metric")) is False


# --- determinism -----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["dpt", "glpn"])
def test_same_batch_twice_gives_identical_bytes(models, images, kind):
    first = [m.tobytes() for m in models[kind].predict(images, SIZE)]
    second = [m.tobytes() for m in models[kind].predict(images, SIZE)]
    assert first == second


@pytest.mark.parametrize("kind", ["dpt", "glpn"])
def test_batch_size_changes_at_most_one_grey_level(models, images, kind):
    together = models[kind].predict(images, SIZE)
    alone = [models[kind].predict([image], SIZE)[0] for image in images]
    for a, b in zip(together, alone):
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1


def test_not_picklable_says_to_reload(models):
    with pytest.raises(TypeError, match=r"DepthModel\.load"):
        pickle.dumps(models["dpt"])


# --- errors ----------------------------------------------------------------------------------

def test_missing_folder(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(BuildError, match="no such folder") as info:
        DepthModel.load(str(missing), device="cpu")
    assert str(missing) in str(info.value) and isinstance(info.value, DepthModelError)


def test_not_a_depth_model(tmp_path):
    folder = save_tiny_depth_model(tmp_path / "tiny-vit", "vit")
    with pytest.raises(BuildError) as info:
        DepthModel.load(str(folder), device="cpu")
    message = str(info.value)
    assert str(folder) in message and "'vit' is not a depth-estimation model" in message
    assert "dpt" in message and "glpn" in message  # lists the known types


def test_depth_model_of_unknown_polarity_is_refused(tmp_path):
    folder = tmp_path / "chm"
    CHMv2Config().save_pretrained(folder)  # config only: refused before any weights are read
    with pytest.raises(BuildError) as info:
        DepthModel.load(str(folder), device="cpu")
    message = str(info.value)
    assert str(folder) in message and "'chmv2'" in message and "polarity" in message


def test_corrupt_weights(tmp_path):
    folder = save_tiny_depth_model(tmp_path / "tiny-dpt", "dpt")
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(BuildError) as info:
        DepthModel.load(str(folder), device="cpu")
    assert str(folder) in str(info.value) and "cannot load its weights" in str(info.value)


def test_missing_image_processor(tmp_path):
    folder = save_tiny_depth_model(tmp_path / "tiny-dpt", "dpt")
    (folder / "preprocessor_config.json").unlink()
    with pytest.raises(BuildError, match="image processor") as info:
        DepthModel.load(str(folder), device="cpu")
    assert str(folder) in str(info.value)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda(folders):
    with pytest.raises(BuildError) as info:
        DepthModel.load(str(folders["dpt"]), device="cuda")
    message = str(info.value)
    assert str(folders["dpt"]) in message and "'cuda'" in message and "no CUDA" in message


def test_unknown_device(folders):
    with pytest.raises(BuildError, match="unknown device 'tpu'"):
        DepthModel.load(str(folders["dpt"]), device="tpu")


def test_missing_extra_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "transformers", None)  # makes `import transformers` fail
    with pytest.raises(BuildError, match=r"pip install 'mattehub\[depth\]'"):
        require_depth_extra()
