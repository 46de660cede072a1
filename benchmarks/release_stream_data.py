"""``bench_release_stream.py``'s stand-in release: ``--samples`` I-HIM50K-style samples
(1024x1024 photo-like JPEG q95 images, two occlusion-applied soft-edged PNG mattes each) and a
large archive of tiny samples with the member count of the real I-HIM50K, zipped by Info-ZIP
like the release (``zip -r -X -s``: deflate, split parts). ``bench_dataloader.py`` streams
the same release."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

TOP = "I-HIM50K"
VERSION = 1  # of the generated content: bump when make_release changes


def _image(rng, size: int, sigma: float):
    """A photo-like RGB image: colour gradients, large blobs, fine texture and noise."""
    import cv2
    import numpy as np

    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    base = np.stack([np.sin(x * rng.uniform(2, 8) + rng.uniform(0, 6)) * 60 + 120,
                     np.cos(y * rng.uniform(2, 8) + rng.uniform(0, 6)) * 60 + 120,
                     (x + y) * 60 + 60], -1)
    blobs = cv2.resize(rng.normal(0, 40, (16, 16, 3)).astype(np.float32), (size, size),
                       interpolation=cv2.INTER_CUBIC)
    texture = cv2.GaussianBlur(rng.normal(0, 40, (size, size, 3)).astype(np.float32), (0, 0), 1.0)
    noise = rng.normal(0, sigma, (size, size, 3)).astype(np.float32)
    return np.clip(base + blobs + texture + noise, 0, 255).astype(np.uint8)


def _mattes(rng, size: int, count: int = 2):
    """``count`` soft-edged instance mattes (blurred ellipses with a hair-like noisy band),
    occlusion applied (a later instance covers the earlier ones), as uint8."""
    import cv2
    import numpy as np

    out = []
    for _ in range(count):
        matte = np.zeros((size, size), np.float32)
        centre = (int(rng.uniform(0.3, 0.7) * size), int(rng.uniform(0.3, 0.7) * size))
        axes = (int(rng.uniform(0.15, 0.3) * size), int(rng.uniform(0.25, 0.45) * size))
        cv2.ellipse(matte, centre, axes, rng.uniform(0, 180), 0, 360, 1.0, -1)
        matte = cv2.GaussianBlur(matte, (0, 0), rng.uniform(4, 12))
        band = (matte > 0.02) & (matte < 0.98)
        hair = cv2.GaussianBlur(rng.uniform(0, 1, (size, size)).astype(np.float32), (0, 0), 0.8)
        matte = np.where(band, np.clip(matte + (hair - 0.5) * 3.2 * matte * (1 - matte), 0, 1), matte)
        out.append(matte)
    occluded = [m * np.prod([1 - later for later in out[k + 1:]], axis=0) for k, m in enumerate(out)]
    return [np.rint(m * 255).astype(np.uint8) for m in occluded]


def _zip(stage: Path, archive: Path, split_size: str) -> None:
    archive.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["zip", "-q", "-r", "-X", "-s", split_size, str(archive), TOP], cwd=stage, check=True)


def make_release(root: Path, samples: int, split_size: str) -> None:
    """``root/zips/I-HIM50K.z01 ..`` + ``.zip`` of ``samples`` realistic samples."""
    import cv2
    import numpy as np

    stage = root / "stage"
    rng = np.random.default_rng(2024)
    for index in range(samples):
        image = _image(rng, 1024, rng.uniform(6, 60))
        (stage / TOP / "images").mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(stage / TOP / "images" / f"{index}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 95])
        folder = stage / TOP / "alphas" / str(index)
        folder.mkdir(parents=True, exist_ok=True)
        for k, matte in enumerate(_mattes(rng, 1024)):
            cv2.imwrite(str(folder / f"{k}.png"), matte)
    _zip(stage, root / "zips" / f"{TOP}.zip", split_size)
    shutil.rmtree(stage)


def make_large(root: Path, samples: int) -> None:
    """``root/zips/I-HIM50K.z01 ..`` of ``samples`` tiny samples (16x16 JPEG + 2 PNG mattes):
    the member count of a real release, so its central directory is as large."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(7)
    jpeg = cv2.imencode(".jpg", rng.integers(0, 255, (16, 16, 3), np.uint8))[1].tobytes()
    mattes = [cv2.imencode(".png", m)[1].tobytes() for m in _mattes(rng, 16)]
    stage = root / "stage"
    (stage / TOP / "images").mkdir(parents=True)
    for index in range(samples):
        (stage / TOP / "images" / f"{index}.jpg").write_bytes(jpeg)
        folder = stage / TOP / "alphas" / str(index)
        folder.mkdir(parents=True)
        for k, matte in enumerate(mattes):
            (folder / f"{k}.png").write_bytes(matte)
    _zip(stage, root / "zips" / f"{TOP}.zip", "4m")
    shutil.rmtree(stage)


def archive_facts(zips: Path) -> dict:
    parts = sorted(zips.glob(f"{TOP}.z*"))
    return {"parts": len(parts), "bytes": sum(p.stat().st_size for p in parts)}

