"""``bench_overlay.py``'s generated sources: textured 640x480 rooms with 16-bit depth maps
in millimetres, RGBA figures (half with a ``mask_<stem>.jpg``), and the tiny random DPT of
``tests/tiny_depth.py``; made once and cached under the work folder."""
from __future__ import annotations

from pathlib import Path

from common import cached, run_child
from overlay_setup import BG_PIXELS, FG_HEIGHT, SEED, Plan


def _room(rng, width: int, height: int):
    """A textured room (RGB uint8) and its depth in millimetres (uint16): a wall at 5-7 m,
    a floor coming nearer towards the bottom, a window, furniture-sized smooth bumps and a
    few millimetres of sensor noise (a depth map that compresses like a measured one)."""
    import cv2
    import numpy as np

    horizon = int(height * rng.uniform(0.45, 0.6))
    ys = np.arange(height, dtype=np.float32)[:, None]
    t = np.clip((ys - horizon) / max(1, height - horizon), 0, 1)
    wall_mm = rng.uniform(5000, 7000)
    depth = np.repeat(np.where(ys < horizon, wall_mm, wall_mm + (1500 - wall_mm) * t), width, 1)
    bumps = cv2.GaussianBlur(rng.normal(0, 1, (height, width)).astype(np.float32), (0, 0), 25)
    depth = depth + bumps / np.abs(bumps).max() * 400 + rng.normal(0, 4, (height, width))
    wall, floor = rng.integers(120, 230, 3), rng.integers(60, 150, 3)
    image = np.where(ys[:, :, None] < horizon, wall.astype(np.float32),
                     floor * (0.75 + 0.25 * t)[:, :, None])
    image = np.repeat(image, width, 1) if image.shape[1] == 1 else image
    x0, y0 = int(rng.integers(width // 10, width // 2)), int(rng.integers(height // 10, horizon // 2))
    cv2.rectangle(image, (x0, y0), (x0 + width // 4, y0 + height // 5), (245, 245, 235), -1)
    texture = cv2.GaussianBlur(rng.normal(0, 25, (height, width)).astype(np.float32), (0, 0), 3)
    image = image + texture[:, :, None] + rng.normal(0, 6, (height, width, 3))
    return np.clip(image, 0, 255).astype(np.uint8), np.clip(depth, 1, 65535).astype(np.uint16)


def _figure(rng, height: int):
    """An RGBA standing figure, max side ``height``, textured clothes, soft alpha edges."""
    import cv2
    import numpy as np

    width = height // 2
    rgba = np.zeros((height, width, 4), np.uint8)
    shirt, trousers = (tuple(int(v) for v in rng.integers(0, 256, 3)) for _ in range(2))
    cv2.circle(rgba, (width // 2, height // 8), height // 10, (225, 185, 150, 255), -1)
    cv2.rectangle(rgba, (width // 5, height // 4), (width - width // 5, height * 3 // 5), (*shirt, 255), -1)
    cv2.rectangle(rgba, (width // 4, height * 3 // 5), (width - width // 4, height - 2), (*trousers, 255), -1)
    outside = rgba[:, :, 3] == 0
    rgba[:, :, :3][outside] = cv2.dilate(rgba[:, :, :3], np.ones((5, 5), np.uint8))[outside]
    rgba[:, :, :3] = np.clip(rgba[:, :, :3] + rng.normal(0, 10, (height, width, 3)), 0, 255)
    rgba[:, :, 3] = cv2.GaussianBlur(rgba[:, :, 3], (5, 5), 0)
    return rgba


def sources(plan: Plan, work: Path) -> Path:
    """``bg/``, ``bg_depth/``, ``fg/`` and ``fg_mask/`` (even-numbered figures use their alpha)."""
    import cv2
    import numpy as np
    from PIL import Image

    def make(root: Path) -> None:
        rng = np.random.default_rng(SEED)
        for name in ("bg", "bg_depth", "fg", "fg_mask"):
            (root / name).mkdir(parents=True)
        for number in range(1, plan.backgrounds + 1):
            image, depth = _room(rng, *BG_PIXELS)
            Image.fromarray(image).save(root / "bg" / f"bg{number:03d}.jpg", quality=90)
            cv2.imwrite(str(root / "bg_depth" / f"bg{number:03d}.png"), depth)
        for number in range(1, plan.foregrounds + 1):
            rgba = _figure(rng, FG_HEIGHT)
            Image.fromarray(rgba, "RGBA").save(root / "fg" / f"fg{number:03d}.png")
            if number % 2:
                mask = np.where(rgba[:, :, 3] > 0, 255, 0).astype(np.uint8)
                Image.fromarray(mask).save(root / "fg_mask" / f"mask_fg{number:03d}.jpg", quality=50)

    return cached(work / f"src-B{plan.backgrounds}-F{plan.foregrounds}-{BG_PIXELS[0]}", make)


def tiny_model(work: Path, script: Path) -> Path:
    """``tests/tiny_depth.py``'s tiny random DPT, saved once (in a child of ``script``: torch
    is slow to import)."""
    return cached(work / "tiny-dpt", lambda root: run_child(
        script, work / "code", {"kind": "save_tiny", "out": str(root), "code": str(work / "code")}))

