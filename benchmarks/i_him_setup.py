"""``bench_i_him.py``'s settings (work folder, targets, the runs and the profiled stages,
how much a full or quick run does) and its generated HHM-style sources."""
from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from build_stages import BUILD_KINDS, WRITE_STAGES

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"
CODE = WORK / "code"
DOCS = HERE.parent / "docs" / "benchmarks.md"
SEED = 0
CONFIG = "i-him"
MARK_START, MARK_END = "<!-- bench_i_him:start -->", "<!-- bench_i_him:end -->"
PACKAGES = ("mattehub", "numpy", "opencv-python-headless", "pillow", "pyarrow", "webdataset")
TARGET_AB, TARGET_AC = 4.0, 1.3  # (a) >= 4x (b): issue 20
STAGES = (  # (file, function) of (a)'s stages, profiled by cumulative time; nested ones indented
    ("families/image_him/recipe.py", "prepare", "scan sources (once per build)"),
    ("families/image_him/synth.py", "synthesise", "synthesis (all pixel work of an attempt)"),
    ("families/image_him/synth.py", "_load_patch", "  read + decode fg JPEG and alpha PNG, crop"),
    ("synthesis/layers.py", "resize_patch", "  resize instance (cv2: RGB and matte)"),
    ("synthesis/layers.py", "try_place", "  placement tries (occlusion test)"),
    ("synthesis/layers.py", "union_alpha", "  union matte"),
    ("families/image_him/synth.py", "_fill", "  final arrays: composite, mattes, canvas-size fg"),
    ("synthesis/layers.py", "composite", "    of which composite"),
    ("families/image_him/recipe.py", "_encode", "encode outputs (JPEG/PNG)"),
) + WRITE_STAGES
KINDS = {
    **BUILD_KINDS,
    "c": "codec floor: decode inputs + encode outputs (mattehub.contract.codecs)",
}


@dataclass(frozen=True)
class SourceSpec:
    """Synthetic sources made by ``mattehub.families.standins.make_hhm_sources`` (sizes are w x h)."""

    name: str
    fg_size: tuple[int, int]
    bg_size: tuple[int, int]
    num_foregrounds: int = 40
    num_backgrounds: int = 20


@dataclass(frozen=True)
class Plan:
    """How much to run."""

    samples: int
    repeats: int
    rss_counts: tuple[int, ...]
    profile_samples: int


LARGE = SourceSpec("hhm-1024", (800, 1000), (1024, 768))
SMALL = SourceSpec("hhm-512", (400, 500), (512, 384))
FULL = Plan(samples=200, repeats=3, rss_counts=(500, 2000, 5000), profile_samples=60)
QUICK = Plan(samples=16, repeats=1, rss_counts=(50, 200), profile_samples=10)


# --- sources -----------------------------------------------------------------------------


def ensure_sources(spec: SourceSpec) -> Path:
    """Generate the sources under ``_work/<name>`` unless an identical set is already there."""
    root = WORK / spec.name
    manifest = root / "sources.json"
    if manifest.is_file() and json.loads(manifest.read_text())["spec"] == json.loads(
            json.dumps(asdict(spec))):
        return root
    from mattehub.families.standins import make_hhm_sources

    shutil.rmtree(root, ignore_errors=True)
    made = make_hhm_sources(root, num_foregrounds=spec.num_foregrounds,
                            num_backgrounds=spec.num_backgrounds, seed=SEED,
                            fg_size=spec.fg_size, bg_size=spec.bg_size)
    paths = {"image_root": made.image_root, "bg_root": made.bg_root,
             "invalid_names": made.invalid_names}
    manifest.write_text(json.dumps({"spec": asdict(spec), **{k: str(v.relative_to(root))
                                                             for k, v in paths.items()}}))
    return root


def source_paths(root: Path) -> tuple[Path, Path, Path]:
    """(image_root, bg_root, invalid_names) of a generated source folder."""
    manifest = json.loads((root / "sources.json").read_text())
    return tuple(root / manifest[key] for key in ("image_root", "bg_root", "invalid_names"))
