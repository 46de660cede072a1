"""Monocular depth from a transformers depth-estimation model, as 8-bit "bright = far" maps.

``DepthModel.load(name_or_path)`` loads ``AutoImageProcessor`` + ``AutoModelForDepthEstimation``
from a local folder or a Hub id (local folders never touch the network), in eval mode, and
refuses with a :class:`DepthModelError` (a :class:`~mattehub.core.errors.BuildError`) anything it
cannot use: a missing folder, a model that is not a depth model, unreadable weights, an
unavailable device, or a model type whose output polarity is not known (we must state the
polarity of stored maps honestly, so we never guess it).

``DepthModel.predict(images, size)`` runs ONE batched forward pass over the list, resizes each
raw ``predicted_depth`` to ``size`` (bilinear, ``align_corners=False``, on the CPU in float32),
flips it when the model predicts inverse depth / disparity, and min-max normalises each map on
its own to 0..255 (``numpy.rint``, so exact halves round to even), so that larger = farther,
which is the original dataset's convention. A constant map becomes all 0.

Determinism. The bytes are identical for the same model files, device, torch and transformers
versions, image-processor backend (transformers uses a torchvision processor when torchvision is
installed and a PIL one otherwise), torch CPU thread count (fixed to ``CPU_THREADS`` on the
CPU) and *batch composition* (the same images batched together): callers therefore align batches to
absolute sample ids, so a sample's batch does not depend on how the build is split into
workers or shards. Across devices, batch sizes or thread counts the floats may differ in the
last bits, which moves some pixels by one grey level after rounding. Measured on CPU (torch
2.13, transformers 5.23, PIL processors, the tiny random models of ``tests/tiny_depth.py``,
4 images of 224x224): the same batch twice -> identical bytes; the same 4 images in reversed
order, or as the first 4 of a batch of 8 -> identical; each image alone (batch of 1) vs the batch
of 4 -> NOT identical, at most 1 grey level apart (DPT: 214 of 200,704 pixels; GLPN: 2); 1 vs 2
CPU threads -> DPT 6 pixels off by 1, GLPN identical. Larger models may differ more often.

A ``DepthModel`` is not picklable (pickling raises ``TypeError``): keep ``source`` (what the user
gave) and call ``DepthModel.load(source, device)`` again in each worker process.
"""
from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mattehub.core.errors import BuildError, subject_message

if TYPE_CHECKING:  # torch/transformers are the optional ``depth`` extra: import them lazily
    import torch

# Polarity of the raw ``outputs.predicted_depth`` of each transformers depth-estimation
# model_type (the keys of MODEL_FOR_DEPTH_ESTIMATION_MAPPING_NAMES in transformers 5.23,
# transformers/models/auto/modeling_auto.py). Facts, per type:
# - dpt: MiDaS/DPT heads regress relative inverse depth (Hub discussion
#   huggingface.co/Intel/dpt-large/discussions/5: values "high for close objects", inverse
#   depth; the DPT paper, Ranftl et al. 2021, trains MiDaS-style in disparity space).
# - depth_anything with config.depth_estimation_type == "relative" (the default): disparity,
#   like MiDaS (Depth Anything paper, Yang et al. 2024, affine-invariant loss on disparity).
#   With "metric" the head is sigmoid * max_depth, i.e. metric depth
#   (models/depth_anything/modeling_depth_anything.py, DepthAnythingDepthEstimationHead).
# - depth_pro: the raw output is canonical inverse depth; DepthProImageProcessor.
#   post_process_depth_estimation turns it into depth with ``1.0 / clamp(depth)``
#   (models/depth_pro/image_processing_depth_pro.py).
# - glpn: ``sigmoid(x) * config.max_depth``, metric depth in metres (models/glpn/modeling_glpn.py).
# - zoedepth: metric bins between min_depth and max_depth; post-processing only resizes and
#   averages flips, no inversion (models/zoedepth/*).
# - tipsv2_dpt: bins between config.min_depth and max_depth "(meters)"
#   (models/tipsv2_dpt/configuration_tipsv2_dpt.py).
# The transformers source facts were read in 5.23; the two papers are cited from memory.
# Deliberately in neither table (refused): chmv2 predicts canopy *height* from aerial images,
# not distance from the camera; prompt_depth_anything is meant to be driven by a prompt depth
# map (LiDAR) that this pipeline does not supply, and without it its polarity is undocumented.
INVERSE_DEPTH_TYPES: frozenset[str] = frozenset({"dpt", "depth_anything", "depth_pro"})
METRIC_DEPTH_TYPES: frozenset[str] = frozenset({"glpn", "zoedepth", "tipsv2_dpt"})

INSTALL_HINT = "pip install 'mattehub[depth]'"
CPU_THREADS = 1
"""torch threads of a CPU forward pass. Fixed, because the thread count changes the floats
(see Determinism): the bytes then do not depend on the machine's core count. mattehub
scales on the CPU with processes (``--workers``), one thread each."""
_DEVICE = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


class DepthModelError(BuildError):
    """A depth model cannot be loaded or used; the message names the model and the fix."""

    def __init__(self, model: str, problem: str, fix: str = "") -> None:
        self.model = model
        self.problem = problem
        self.fix = fix
        super().__init__(subject_message(f"depth model {model!r}", problem, fix))


def require_depth_extra() -> None:
    """Fail with a BuildError naming the install command when torch/transformers are missing."""
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as err:
        raise BuildError(f"depth estimation with a model needs the optional extra: {INSTALL_HINT} "
                         f"({err})") from err


def is_inverse_depth(config: Any) -> bool | None:
    """True if the model's raw output is inverse depth, False if metric depth, None if unknown.

    Keyed by ``config.model_type``; Depth Anything checkpoints declare their head in
    ``config.depth_estimation_type`` ("relative" = disparity, "metric" = depth).
    """
    model_type = getattr(config, "model_type", None)
    if model_type == "depth_anything":
        return getattr(config, "depth_estimation_type", "relative") != "metric"
    if model_type in INVERSE_DEPTH_TYPES:
        return True
    if model_type in METRIC_DEPTH_TYPES:
        return False
    return None


def display_name(name_or_path: str) -> str:
    """The model name to record in meta: a Hub id as given, a local path's final folder only."""
    if not _is_local(name_or_path):
        return name_or_path
    path = Path(name_or_path).expanduser()
    return (path.resolve() if path.exists() else path).name


def normalise_depth(depth: np.ndarray, inverse: bool) -> np.ndarray:
    """Min-max one float map to uint8 0..255 so that larger = farther (flipped when ``inverse``).

    A constant map has no depth order to show and becomes all 0.
    """
    values = depth.astype(np.float64)
    if inverse:
        values = -values
    low, high = values.min(), values.max()
    if not high > low:
        return np.zeros(values.shape, np.uint8)
    return np.rint((values - low) * (255.0 / (high - low))).astype(np.uint8)


def resize_depth(raw: torch.Tensor, size: tuple[int, int]) -> np.ndarray:
    """Raw (B, h, w) model output -> float32 (B, height, width) numpy, bilinear on the CPU.

    Resizing on the CPU keeps the post-processing identical whatever device ran the model.
    """
    import torch.nn.functional as F

    width, height = size
    maps = raw.detach().float().cpu()
    maps = maps.reshape(maps.shape[0], 1, *maps.shape[-2:])
    resized = F.interpolate(maps, size=(height, width), mode="bilinear", align_corners=False)
    return resized[:, 0].numpy()


def _resolve_device(device: str, model: str) -> str:
    """'auto' -> 'cuda' when available else 'cpu'; a CUDA device without CUDA is an error."""
    import torch

    if not _DEVICE.match(device):
        raise DepthModelError(model, f"unknown device {device!r}", "use auto, cpu, cuda or cuda:N")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise DepthModelError(model, f"device {device!r} asked for but this torch "
                              f"({torch.__version__}) sees no CUDA GPU",
                              "use --device cpu or auto, or install a CUDA build of torch")
    return device


def _is_local(name_or_path: str) -> bool:
    """Whether the name means a local folder (it exists, or cannot be a Hub id 'org/name')."""
    return Path(name_or_path).expanduser().exists() or not _HUB_ID.match(name_or_path)


def _reason(err: BaseException) -> str:
    """One short line saying what the library complained about (no traceback)."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    text = text[:300] + ("..." if len(text) > 300 else "")
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


@contextlib.contextmanager
def _no_progress_bars() -> Iterator[None]:
    """Silence transformers' 'Loading weights' bar while loading, restoring the old setting."""
    from transformers.utils import logging as hf_logging

    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()


def _depth_model_types() -> frozenset[str]:
    """model_type values transformers can load with AutoModelForDepthEstimation."""
    try:
        from transformers.models.auto.modeling_auto import MODEL_FOR_DEPTH_ESTIMATION_MAPPING_NAMES
    except ImportError:  # moved in some future version: only the wording of the error changes
        return frozenset()
    return frozenset(MODEL_FOR_DEPTH_ESTIMATION_MAPPING_NAMES)


def _known_types() -> str:
    """The supported model types, for error messages."""
    return (f"inverse depth: {', '.join(sorted(INVERSE_DEPTH_TYPES))}; "
            f"metric depth: {', '.join(sorted(METRIC_DEPTH_TYPES))}")


def _load_config(source: str, local: bool) -> Any:
    """The model's config, or a DepthModelError saying why it cannot be read."""
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(source, local_files_only=local)
    except Exception as err:  # noqa: BLE001 - any library failure becomes one clear BuildError
        where = "the folder's config.json" if local else "the Hub (or the local cache)"
        raise DepthModelError(source, f"cannot read its config from {where}: {_reason(err)}",
                              "give a folder saved with save_pretrained or a valid Hub model id "
                              "of a depth-estimation model") from err


def _check_polarity(source: str, config: Any) -> bool:
    """Whether the model predicts inverse depth; refuses types of unknown polarity."""
    inverse = is_inverse_depth(config)
    if inverse is not None:
        return inverse
    model_type = getattr(config, "model_type", None)
    if model_type in _depth_model_types():
        problem = (f"model_type {model_type!r} is a depth-estimation model whose output polarity "
                   "(depth or inverse depth) mattehub does not know")
    else:
        problem = f"model_type {model_type!r} is not a depth-estimation model"
    raise DepthModelError(source, problem, f"use a model of a known type: {_known_types()}")


def _load_parts(source: str, local: bool, device: str) -> tuple[Any, Any]:
    """The image processor and the eval-mode model on ``device``, or a DepthModelError."""
    from transformers import AutoImageProcessor, AutoModelForDepthEstimation

    try:
        processor = AutoImageProcessor.from_pretrained(source, local_files_only=local)
    except Exception as err:  # noqa: BLE001
        raise DepthModelError(source, f"cannot load its image processor: {_reason(err)}",
                              "the folder needs the preprocessor_config.json that "
                              "image_processor.save_pretrained writes") from err
    try:
        with _no_progress_bars():
            model = AutoModelForDepthEstimation.from_pretrained(source, local_files_only=local)
        model = model.to(device).eval()
    except Exception as err:  # noqa: BLE001
        raise DepthModelError(source, f"cannot load its weights: {_reason(err)}",
                              "re-save or re-download the model; the weights file may be "
                              "truncated or corrupt") from err
    return processor, model


class DepthModel:
    """A loaded depth-estimation model that turns RGB images into 8-bit bright = far maps."""

    def __init__(self, source: str, model_type: str, inverse: bool, device: str,
                 processor: Any, model: Any) -> None:
        self.source = source  # what the user gave: reload with DepthModel.load(source, device)
        self.name = display_name(source)  # for meta: never an absolute local path
        self.model_type = model_type
        self.inverse = inverse  # raw output is inverse depth, flipped by predict()
        self.device = device
        self.processor = processor
        self.model = model

    @classmethod
    def load(cls, name_or_path: str, device: str = "auto") -> DepthModel:
        """Load a local folder or Hub id on ``device`` (auto | cpu | cuda[:N]), or raise BuildError.

        Cheap checks (device, config, polarity) run before the weights are read.
        """
        require_depth_extra()
        source = str(name_or_path)
        local = _is_local(source)
        if local and not Path(source).expanduser().is_dir():
            raise DepthModelError(source, "no such folder",
                                  "give a folder written by save_pretrained, or a Hub model id")
        resolved = _resolve_device(device, source)
        config = _load_config(source, local)
        inverse = _check_polarity(source, config)
        processor, model = _load_parts(source, local, resolved)
        return cls(source, config.model_type, inverse, resolved, processor, model)

    def predict(self, images: Sequence[np.ndarray], size: tuple[int, int]) -> list[np.ndarray]:
        """One batched forward pass -> per image a uint8 (height, width) map, bright = far.

        ``images`` are RGB uint8 (H, W, 3), all the same shape; ``size`` is (width, height).
        The caller chooses the batch: the bytes depend on its composition (module docstring).
        """
        if not images:
            return []
        _check_images(images)
        raw = self._forward(images)
        maps = resize_depth(raw, size)
        if not np.isfinite(maps).all():
            raise DepthModelError(self.source, "the model produced non-finite depth values",
                                  "check the weights; try --device cpu")
        return [normalise_depth(depth, self.inverse) for depth in maps]

    def _forward(self, images: Sequence[np.ndarray]) -> torch.Tensor:
        """The raw ``predicted_depth`` (B, h, w) of one inference-mode forward pass."""
        import torch

        inputs = self.processor(images=list(images), return_tensors="pt")
        inputs = {key: value.to(self.device) for key, value in inputs.items()}
        threads = torch.get_num_threads()
        if self.device == "cpu":
            torch.set_num_threads(CPU_THREADS)
        try:
            with torch.inference_mode():
                return self.model(**inputs).predicted_depth
        finally:
            torch.set_num_threads(threads)

    def __getstate__(self) -> dict:
        """Refuse pickling: a worker must load its own copy (weights are big, devices differ)."""
        raise TypeError(f"DepthModel {self.name!r} is not picklable: pass its source "
                        f"({self.source!r}) and call DepthModel.load() in each worker")

    def __repr__(self) -> str:
        return (f"DepthModel(name={self.name!r}, model_type={self.model_type!r}, "
                f"inverse={self.inverse}, device={self.device!r})")


def _check_images(images: Sequence[np.ndarray]) -> None:
    """Raise ValueError unless every image is RGB uint8 (H, W, 3) of one common shape."""
    shape = images[0].shape if isinstance(images[0], np.ndarray) else None
    for index, image in enumerate(images):
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 \
                or image.shape[2] != 3:
            raise ValueError(f"image {index} must be an RGB uint8 array of shape (H, W, 3)")
        if image.shape != shape:
            raise ValueError(f"image {index} has shape {image.shape}, image 0 has {shape}: "
                             "one batch needs one shape")
