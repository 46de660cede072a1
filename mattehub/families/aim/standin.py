"""A tiny Adobe Image Matting (Composition-1k) tree for the demo, in the prepared layout.

    root/data/train/fg/<name>.png        "photos": foreground colours, and the studio
                                         backdrop they were shot on where alpha < 1
    root/data/train/alpha/<name>.png     soft 8-bit alpha (blurred edges, hair-like strands)
    root/data/test/merged/<stem>_<i>.png one test foreground over two backgrounds (DIM rule)
    root/data/test/trimaps/<stem>_<i>.png     him-eval trimap of its alpha
    root/data/test/alpha_copy/<stem>_<i>.png  its alpha
    root/bg/*.jpg                        backgrounds, some smaller than the foregrounds
    root/truth/fg/<name>.png             the true (uncontaminated) foreground colours

Like the real AIM foregrounds, the training fg files carry their original background in the
semi-transparent pixels (fg = alpha*F + (1-alpha)*backdrop): that contamination is what
``--fg-reestimate`` removes, and ``truth/fg`` holds F to measure it. Deterministic: the same
call writes the same bytes.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from mattehub.families.aim.compose import composite, dim_background
from mattehub.synthesis.trimap import trimap
from mattehub.families.aim.composition_1k import Composition1kRecipe
from mattehub.families.aim.options import AimOptions
from mattehub.families.aim.recipe import AimRecipe
from mattehub.families.demo import DemoBuild, FamilyDemo

TRAIN = (("bottle.png", 150, 210), ("leaf.png", 220, 150), ("orb.png", 180, 180))
"""(name, width, height) of the training foregrounds."""
TEST = ("ring", 170, 140, ("bg_1.jpg", "bg_3.jpg"))
"""The test foreground's stem, size, and the backgrounds of its composites."""
BACKGROUNDS = (("bg_0.jpg", 320, 240), ("bg_1.jpg", 120, 96), ("bg_2.jpg", 256, 320),
               ("bg_3.jpg", 300, 200))


@dataclass(frozen=True)
class AimDemoSources:
    data_dir: Path
    bg_root: Path
    truth_root: Path


def _write(path: Path, array: np.ndarray, ext: str = ".png") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    params = [cv2.IMWRITE_JPEG_QUALITY, 92] if ext == ".jpg" else [cv2.IMWRITE_PNG_COMPRESSION, 6]
    ok, data = cv2.imencode(ext, array, params)
    if not ok:  # pragma: no cover
        raise RuntimeError(f"could not encode {path}")
    path.write_bytes(data.tobytes())


def _object(rng: np.random.Generator, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """(true foreground colours F, BGR uint8, defined everywhere; alpha uint8): an ellipse
    with a colour gradient, soft edges and thin strands of partial alpha."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    base = rng.integers(40, 220, 3).astype(np.float32)
    tilt = rng.uniform(-0.6, 0.6, 3).astype(np.float32)
    F = base + tilt * (xs[..., None] - width / 2) + 0.3 * tilt[::-1] * (ys[..., None] - height / 2)
    F = np.clip(F, 0, 255).astype(np.uint8)
    alpha = np.zeros((height, width), np.uint8)
    centre = (width // 2, height // 2)
    cv2.ellipse(alpha, centre, (width * 3 // 10, height * 3 // 10), int(rng.integers(0, 180)),
                0, 360, 255, -1)
    for _ in range(24):  # strands: thin lines out of the body
        angle = rng.uniform(0, 2 * np.pi)
        inner = (int(centre[0] + np.cos(angle) * width * 0.25), int(centre[1] + np.sin(angle) * height * 0.25))
        outer = (int(centre[0] + np.cos(angle) * width * 0.46), int(centre[1] + np.sin(angle) * height * 0.46))
        cv2.line(alpha, inner, outer, int(rng.integers(90, 200)), 1, cv2.LINE_AA)
    alpha = cv2.GaussianBlur(alpha, (7, 7), 0)
    return F, alpha


def _backdrop(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """The studio backdrop a foreground was shot on: saturated, with stripes."""
    colour = np.array(rng.choice([(40, 200, 60), (200, 80, 30), (30, 60, 210)]), np.float32)
    stripes = 30 * np.sin(np.arange(width, dtype=np.float32) / 5.0)[None, :, None]
    return np.clip(colour + stripes + np.zeros((height, 1, 3), np.float32), 0, 255).astype(np.uint8)


def _scene(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A background: blurred random blocks."""
    small = rng.integers(0, 256, (max(2, height // 24), max(2, width // 24), 3)).astype(np.uint8)
    return cv2.GaussianBlur(cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR), (9, 9), 0)


def make_aim_sources(root: Path, seed: int = 0) -> AimDemoSources:
    """Write the tree below ``root`` (once; later calls reuse it)."""
    root = Path(root)
    sources = AimDemoSources(root / "data", root / "bg", root / "truth" / "fg")
    if (root / "done").exists():
        return sources
    backgrounds = {}
    for number, (name, width, height) in enumerate(BACKGROUNDS):
        backgrounds[name] = _scene(np.random.default_rng([seed, 1, number]), width, height)
        _write(sources.bg_root / name, backgrounds[name], ".jpg")
    backgrounds = {name: cv2.imread(str(sources.bg_root / name)) for name in backgrounds}
    for number, (name, width, height) in enumerate(TRAIN):
        rng = np.random.default_rng([seed, 0, number])
        F, alpha = _object(rng, width, height)
        photo = composite(F, _backdrop(rng, width, height), alpha)  # contaminated where alpha < 1
        _write(sources.data_dir / "train" / "fg" / name, photo)
        _write(sources.data_dir / "train" / "alpha" / name, alpha)
        _write(sources.truth_root / name, F)
    stem, width, height, test_bgs = TEST
    F, alpha = _object(np.random.default_rng([seed, 2, 0]), width, height)
    for i, bg_name in enumerate(test_bgs):
        bg, _ = dim_background(backgrounds[bg_name], (width, height))
        _write(sources.data_dir / "test" / "merged" / f"{stem}_{i}.png", composite(F, bg, alpha))
        _write(sources.data_dir / "test" / "trimaps" / f"{stem}_{i}.png", trimap(alpha, "him-eval"))
        _write(sources.data_dir / "test" / "alpha_copy" / f"{stem}_{i}.png", alpha)
    (root / "done").write_text("ok\n")
    return sources


DEMO_BGS = 2


def demo(sources_root: Path, out: Path) -> FamilyDemo:
    """``aim`` (``num_bgs`` 2 over 3 foregrounds: 6 samples) and ``composition-1k`` from a
    tiny Adobe Image Matting tree."""
    src = make_aim_sources(sources_root / "aim-demo")
    data_dir, bg_root = str(src.data_dir), str(src.bg_root)
    train = AimRecipe(AimOptions(data_dir=data_dir, bg_root=bg_root, num_bgs=DEMO_BGS), seed=0)
    test = Composition1kRecipe(AimOptions(data_dir=data_dir, split="test"), seed=0)
    return FamilyDemo(
        builds=(DemoBuild(train, split="train"), DemoBuild(test, split="test")),
        load_lines=("# Adobe Image Matting composited on the fly (DIM rule), and the published test set:",
                    f"ds = load_dataset('mattehub', 'aim', data_dir={data_dir!r}, bg_root={bg_root!r}, "
                    f"num_bgs={DEMO_BGS}, split='train', streaming=True)",
                    f"ds = load_dataset('mattehub', 'composition-1k', data_dir={data_dir!r}, "
                    f"split='test', streaming=True)"))
