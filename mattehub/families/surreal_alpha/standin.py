"""A small SURREAL-format tree for the demo: the real layout and file formats, made on the spot.

``SURREAL/data/cmu/{train,val}/run0/<seq>/<seq>_c<NNNN>`` with an H.264 ``.mp4`` (PyAV,
30 fps, 320x240), ``_segm.mat`` (``segm_1..T`` uint8 part labels, hard edges as SURREAL
renders them), ``_depth.mat`` (``depth_1..T`` float32 metres, background 1e10) and
``_info.mat`` (SURREAL's keys and shapes), every mat written with
``scipy.io.savemat(do_compression=True)`` like the release. The "person" is a stick figure
of labelled body parts walking across a rendered scene (SURREAL's frames contain an LSUN
background, which is why the recipe masks ``fg`` with the labels).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import scipy.io

from mattehub.families.demo import DemoBuild, FamilyDemo
from mattehub.families.standins import make_hhm_sources, write_mp4
from mattehub.families.surreal_alpha.options import SurrealAlphaOptions
from mattehub.families.surreal_alpha.recipe import SurrealAlphaRecipe

WIDTH, HEIGHT = 320, 240
FRAMES = 8
CLIPS = {"train": (("01_01", 1), ("01_01", 2), ("02_03", 1)), "val": (("05_02", 1),)}
# (label, colour) of each drawn part; labels are SMPL part numbers 1..24.
PARTS = {"torso": (1, (60, 90, 170)), "head": (15, (225, 180, 150)), "left_arm": (17, (200, 70, 60)),
         "right_arm": (18, (200, 70, 60)), "left_leg": (4, (40, 40, 60)), "right_leg": (5, (40, 40, 60))}


@dataclass(frozen=True)
class SurrealDemoSources:
    data_dir: Path
    """The ``cmu`` folder."""
    clips: list[str]


def _scene(rng: np.random.Generator) -> np.ndarray:
    """The rendered 'LSUN' background baked into every frame of a clip."""
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    a, b = rng.uniform(40, 200, 3), rng.uniform(40, 200, 3)
    ramp = (xs / WIDTH)[..., None]
    scene = a + ramp * (b - a) + 12 * np.sin(ys / 9.0)[..., None]
    return np.clip(scene, 0, 255).astype(np.uint8)


def _limbs(t: int, x: int) -> dict[str, tuple]:
    """Where each part is at frame ``t``: (kind, geometry) in pixels."""
    swing = int(18 * np.sin(t * 0.8))
    hip, shoulder = (x, 150), (x, 95)
    return {"left_leg": ("line", hip, (x - 14 + swing, 215), 14),
            "right_leg": ("line", hip, (x + 14 - swing, 215), 14),
            "torso": ("rect", (x - 20, 88), (x + 20, 155)),
            "left_arm": ("line", shoulder, (x - 30 - swing, 140), 10),
            "right_arm": ("line", shoulder, (x + 30 + swing, 140), 10),
            "head": ("circle", (x, 70), 18)}


def _draw(labels: np.ndarray, rgb: np.ndarray, depth: np.ndarray, t: int, x: int) -> None:
    for part, shape in _limbs(t, x).items():
        label, colour = PARTS[part]
        mask = np.zeros_like(labels)
        if shape[0] == "line":
            cv2.line(mask, shape[1], shape[2], 1, shape[3], cv2.LINE_8)
        elif shape[0] == "rect":
            cv2.rectangle(mask, shape[1], shape[2], 1, -1, cv2.LINE_8)
        else:
            cv2.circle(mask, shape[1], shape[2], 1, -1, cv2.LINE_8)
        on = mask > 0
        labels[on], rgb[on] = label, colour
        depth[on] = 4.0 + 0.01 * label + 0.002 * np.nonzero(on)[1]  # farther to the right


def _info(rng: np.random.Generator, frames: int, xs: list[int]) -> dict:
    joints2d = np.zeros((2, 24, frames))
    joints2d[0] = np.asarray(xs)[None, :] + rng.uniform(-25, 25, (24, 1))
    joints2d[1] = rng.uniform(60, 215, (24, 1))
    return {"sequence": "demo", "clipNo": 1, "source": "demo", "gender": np.ones((frames, 1)),
            "bg": np.array(["demo/scene.jpg"] * frames, dtype=object), "light": rng.normal(size=(9, frames)),
            "stride": 30, "camDist": np.array([[7.2]]), "camLoc": np.array([[7.2], [0.1], [1.0]]),
            "joints2D": joints2d, "joints3D": rng.normal(size=(3, 24, frames)),
            "pose": rng.normal(0, 0.2, (72, frames)), "shape": rng.normal(size=(10, frames)),
            "zrot": rng.uniform(-3, 3, (frames, 1)), "cloth": "demo"}


def write_clip(base: Path, seed: int, frames: int = FRAMES) -> None:
    """One SURREAL-format clip: ``base`` + ``.mp4``, ``_segm.mat``, ``_depth.mat``, ``_info.mat``."""
    rng = np.random.default_rng(seed)
    scene, start = _scene(rng), int(rng.integers(60, 120))
    xs = [start + 12 * t for t in range(frames)]
    rgbs, segm, depth = [], {}, {}
    for t, x in enumerate(xs):
        labels, rgb = np.zeros((HEIGHT, WIDTH), np.uint8), scene.copy()
        metres = np.full((HEIGHT, WIDTH), 1e10, np.float32)
        _draw(labels, rgb, metres, t, x)
        rgbs.append(rgb)
        segm[f"segm_{t + 1}"], depth[f"depth_{t + 1}"] = labels, metres
    base.parent.mkdir(parents=True, exist_ok=True)
    write_mp4(base.with_name(base.name + ".mp4"), rgbs, rate=30)
    scipy.io.savemat(base.with_name(base.name + "_segm.mat"), segm, do_compression=True)
    scipy.io.savemat(base.with_name(base.name + "_depth.mat"), depth, do_compression=True)
    scipy.io.savemat(base.with_name(base.name + "_info.mat"), _info(rng, frames, xs),
                     do_compression=True)


def make_surreal_sources(root: Path) -> SurrealDemoSources:
    """Write the demo tree under ``root`` (``root/SURREAL/data/cmu``); same bytes every run."""
    cmu = Path(root) / "SURREAL" / "data" / "cmu"
    names = []
    for number, (split, clips) in enumerate(sorted(CLIPS.items())):
        for offset, (seq, clip) in enumerate(clips):
            base = cmu / split / "run0" / seq / f"{seq}_c{clip:04d}"
            write_clip(base, seed=100 * number + offset)
            names.append(base.relative_to(cmu.parent).as_posix())
    return SurrealDemoSources(cmu, names)


DEMO_BGS = 2


def demo(sources_root: Path, out: Path) -> FamilyDemo:
    """``surreal-alpha`` from a small SURREAL-format tree (mp4 + segm/depth/info mats) over
    the HHM demo backgrounds, in one process (48 small samples take about a second)."""
    surreal = make_surreal_sources(sources_root / "surreal-demo")
    bg_root = make_hhm_sources(sources_root / "hhm-demo").bg_root
    recipe = SurrealAlphaRecipe(SurrealAlphaOptions(data_dir=str(surreal.data_dir), bg_root=str(bg_root),
                                                    num_bgs=DEMO_BGS), seed=0)
    return FamilyDemo(
        builds=(DemoBuild(recipe),),
        load_lines=("# SURREAL renders as matting samples (alpha, fg, bg, 16-bit depth, part labels):",
                    f"ds = load_dataset({str(out)!r}, 'surreal-alpha', split='train', streaming=True)",
                    "# or composited on the fly from the SURREAL-format tree:",
                    f"ds = load_dataset('mattehub', 'surreal-alpha', data_dir={str(surreal.data_dir)!r}, "
                    f"bg_root={str(bg_root)!r}, num_bgs={DEMO_BGS}, split='train', streaming=True)"))
