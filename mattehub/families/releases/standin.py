"""A small stand-in of the MaGGIe HIM release, zipped with Info-ZIP exactly like the real one.

``I-HIM50K`` and ``V-HIM2K5`` are split archives (``zip -s``: ``X.z01 ..`` + ``X.zip``),
``HIM2K_M-HIM2K`` and ``V-HIM60`` single zips, each with the release's folder layout.
Images come from the ``i-him`` recipe (by config name) on the HHM stand-ins; clips move those instances
across frames. File times and zip attributes are fixed so the archives are reproducible.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np

from mattehub.contract import codecs
from mattehub.inputs import gate
from mattehub.families import registry
from mattehub.families.demo import DemoBuild, FamilyDemo
from mattehub.families.standins import HhmDemoSources, make_hhm_sources
from mattehub.families.releases.options import ReleaseOptions
from mattehub.families.releases.recipe import RELEASE_RECIPES

MASK_MODELS = ("r50_c4_3x", "r50_fpn_3x", "x101_fpn_3x")
SPLIT_SIZE = "64k"
FIXED_TIME = 1_700_000_000


def _recipe(hhm: HhmDemoSources):
    """The ``i-him`` recipe on the HHM stand-ins, found by config name in the registry (the
    release stand-in builds on that config's samples, not on its folder)."""
    line = registry.config("i-him")
    options = line.options_class()(image_root=str(hhm.image_root), bg_root=str(hhm.bg_root),
                                   invalid_names=str(hhm.invalid_names), image_format="jpg",
                                   with_fg=True)
    recipe = line.recipe_class()(options, seed=7)
    recipe.prepare()
    return recipe


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _image_sets(stage: Path, recipe) -> None:
    """I-HIM50K (ids, k unpadded) and HIM2K + M-HIM2K (comp/natural, NN, mask sets)."""
    for index in range(6):
        fields = recipe.make(index).sample.fields
        _write(stage / "I-HIM50K" / "images" / f"{index}.jpg", fields["image"])
        for k, matte in enumerate(fields["instance_alphas"]):
            _write(stage / "I-HIM50K" / "alphas" / str(index) / f"{k}.png", matte)
    for index in range(6, 12):
        fields = recipe.make(index).sample.fields
        subset, name = ("comp", f"comp_{index:03d}") if index < 10 else ("natural", f"photo_{index:03d}")
        _write(stage / "HIM2K" / "images" / subset / f"{name}.jpg", fields["image"])
        for k, matte in enumerate(fields["instance_alphas"]):
            _write(stage / "HIM2K" / "alphas" / subset / name / f"{k:02d}.png", matte)
            for number, model in enumerate(MASK_MODELS):
                if (index + k + number) % 5 == 0:
                    continue  # not every alpha has a mask in every set, as in the release
                mask = (gate.decode_matte(matte, name).array > 127).astype(np.uint8) * 255
                mask = cv2.dilate(mask, np.ones((5, 5), np.uint8), iterations=number + 1)
                _write(stage / "HIM2K" / f"masks_matched_{model}" / subset / name / f"{k:02d}.png",
                       codecs.encode_png(mask))


def _clip(fields: dict, frames: int, step: int):
    """Frames and per-frame mattes of the composite's instances drifting ``step`` px a frame."""
    background = gate.decode_rgb(fields["bg"], "bg")
    mattes = [gate.decode_matte(m, "m").array.astype(np.float32) / 255 for m in fields["instance_alphas"]]
    fgs = [gate.decode_rgb(f, "fg").astype(np.float32) for f in fields["fg"]]
    height, width = background.shape[:2]
    for t in range(frames):
        shifts = [np.float32([[1, 0, (k - 1) * step * t], [0, 1, 0]]) for k in range(len(mattes))]
        moved = [cv2.warpAffine(m, s, (width, height)) for m, s in zip(mattes, shifts)]
        moved_fg = [cv2.warpAffine(f, s, (width, height)) for f, s in zip(fgs, shifts)]
        image = background.astype(np.float32)
        for alpha, fg in zip(moved, moved_fg):
            image = alpha[:, :, None] * fg + (1 - alpha[:, :, None]) * image
        occluded = [m * np.prod([1 - later for later in moved[k + 1:]], axis=0) for k, m in enumerate(moved)]
        yield (codecs.encode_jpeg(np.clip(image, 0, 255).astype(np.uint8)),
               [codecs.encode_png(np.rint(a * 255).astype(np.uint8)) for a in occluded])


def _video_sets(stage: Path, recipe) -> None:
    """V-HIM2K5 (fgr/<video>/<frame>.jpg, pha/<video>/<frame>/<kk>.png) and V-HIM60."""
    targets = [("V-HIM2K5", "", f"video_{v:03d}", 12 + v) for v in range(3)]
    targets += [("V-HIM60", f"comp_{level}/", f"clip_{level}", 15 + i)
                for i, level in enumerate(("easy", "medium", "hard"))]
    for top, level, video, index in targets:
        fields = recipe.make(index).sample.fields
        for t, (frame, mattes) in enumerate(_clip(fields, frames=6, step=4)):
            base = stage / top / level
            _write(base / "fgr" / video / f"{t:05d}.jpg", frame)
            for k, matte in enumerate(mattes):
                _write(base / "pha" / video / f"{t:05d}" / f"{k:02d}.png", matte)
                if top == "V-HIM60":
                    mask = (gate.decode_matte(matte, "m").array > 127).astype(np.uint8) * 255
                    _write(base / "xmem" / video / f"{t:05d}" / f"{k:02d}.png", codecs.encode_png(mask))


def _zip(stage: Path, top: str, out: Path, split: bool) -> None:
    for path in (stage / top).rglob("*"):
        os.utime(path, (FIXED_TIME, FIXED_TIME))
    command = ["zip", "-q", "-r", "-X"] + (["-s", SPLIT_SIZE] if split else []) + [str(out.resolve()), top]
    subprocess.run(command, cwd=stage, check=True)


def make_release(root: Path, hhm: HhmDemoSources) -> Path:
    """Write the stand-in release into ``root/release`` (and the unzipped copy into
    ``root/extracted``); returns the release folder."""
    if shutil.which("zip") is None:
        raise RuntimeError("the demo release needs Info-ZIP `zip` (apt-get install zip)")
    stage, release = Path(root) / "extracted", Path(root) / "release"
    for folder in (stage, release):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    recipe = _recipe(hhm)
    _image_sets(stage, recipe)
    _video_sets(stage, recipe)
    for top, archive, split in (("I-HIM50K", "I-HIM50K.zip", True), ("HIM2K", "HIM2K_M-HIM2K.zip", False),
                                ("V-HIM2K5", "V-HIM2K5.zip", True), ("V-HIM60", "V-HIM60.zip", False)):
        _zip(stage, top, release / archive, split)
    (release / "invalid_him.txt").write_bytes(b"3.jpg\r\n\r\n")
    return release


def demo(sources_root: Path, out: Path) -> FamilyDemo:
    """Every release config, every split, converted straight from a stand-in release zipped
    with Info-ZIP (split archives included)."""
    release = make_release(sources_root / "release-demo", make_hhm_sources(sources_root / "hhm-demo"))
    builds = []
    for recipe_cls in RELEASE_RECIPES.values():
        probe = recipe_cls(ReleaseOptions(data_dir=str(release)), seed=0)
        probe.scan()
        builds += [DemoBuild(recipe_cls(ReleaseOptions(data_dir=str(release), split=split), seed=0),
                             split=split)
                   for split in probe.splits()]
    return FamilyDemo(
        builds=tuple(builds),
        load_lines=("# the original release layout, read in place from split zips:",
                    f"ds = load_dataset('mattehub', 'v-him2k5', data_dir={str(release)!r}, streaming=True)"))
