"""``mattehub demo``: every config built from small sources generated on the spot.

The sources go to ``OUT/_sources`` (the real layouts, so the same commands work on real
data), the shards to ``OUT``. It takes seconds and needs no download.
"""
from __future__ import annotations

from pathlib import Path

from mattehub.build.run import BuildOptions, build
from mattehub.families.image_him.options import ImageHimOptions
from mattehub.families.image_him.recipe import ImageHimRecipe
from mattehub.build.sequence import ShardLimits
from mattehub.families.releases.options import ReleaseOptions
from mattehub.families.releases.recipe import RELEASE_RECIPES
from mattehub.families.surreal_alpha.options import SurrealAlphaOptions
from mattehub.families.surreal_alpha.recipe import SurrealAlphaRecipe
from mattehub.families.image_him.standin import make_hhm_sources
from mattehub.families.overlay_depth.standin import make_overlay_sources
from mattehub.families.overlay_depth.options import OverlayDepthOptions
from mattehub.families.overlay_depth.recipe import OverlayDepthRecipe
from mattehub.families.video_him.options import VideoHimOptions
from mattehub.families.video_him.recipe import VideoHimRecipe
from mattehub.families.releases.standin import make_release
from mattehub.families.surreal_alpha.standin import make_surreal_sources
from mattehub.families.video_him.standin import make_video_sources

DEMO_SAMPLES = 48
DEMO_SHARD_SAMPLES = 16
DEMO_CLIPS = 6
DEMO_SURREAL_BGS = 2
DEMO_OVERLAY_SHARD_SAMPLES = 80
DEMO_AIM_BGS = 2


def build_i_him_demo(out: Path, sources_root: Path, workers: int, progress: bool = True):
    """Generate HHM-style stand-ins and build the ``i-him`` demo config from them."""
    sources = make_hhm_sources(sources_root / "hhm-demo")
    options = ImageHimOptions(image_root=str(sources.image_root), bg_root=str(sources.bg_root),
                              invalid_names=str(sources.invalid_names))
    recipe = ImageHimRecipe(options, seed=0)
    build_options = BuildOptions(out=out, num_samples=DEMO_SAMPLES, workers=workers,
                                 limits=ShardLimits(max_samples=DEMO_SHARD_SAMPLES),
                                 progress=progress)
    return build(recipe, build_options)


def build_v_him_demo(out: Path, sources_root: Path, workers: int, progress: bool = True):
    """Generate moving stand-in clips (frame folders, mp4, RGBA frames) and build ``v-him``."""
    root = make_video_sources(sources_root / "video-demo", make_hhm_sources(sources_root / "hhm-demo"))
    recipe = VideoHimRecipe(VideoHimOptions(data_dir=str(root)), seed=0)
    options = BuildOptions(out=out, num_samples=DEMO_CLIPS, workers=workers, progress=progress,
                           limits=ShardLimits(max_samples=DEMO_SHARD_SAMPLES))
    return build(recipe, options)


def build_surreal_alpha_demo(out: Path, sources_root: Path, workers: int, progress: bool = True):
    """Generate a small SURREAL-format tree (mp4 + segm/depth/info mats) and build
    ``surreal-alpha`` over the HHM demo backgrounds; returns (data_dir, bg_root, report)."""
    surreal = make_surreal_sources(sources_root / "surreal-demo")
    bg_root = make_hhm_sources(sources_root / "hhm-demo").bg_root
    recipe = SurrealAlphaRecipe(SurrealAlphaOptions(data_dir=str(surreal.data_dir),
                                                    bg_root=str(bg_root),
                                                    num_bgs=DEMO_SURREAL_BGS), seed=0)
    options = BuildOptions(out=out, workers=workers, progress=progress,
                           limits=ShardLimits(max_samples=DEMO_SHARD_SAMPLES))
    return surreal.data_dir, bg_root, build(recipe, options)


def build_overlay_depth_demo(out: Path, sources_root: Path, workers: int, progress: bool = True):
    """Generate overlay-depth inputs (rooms with depth maps, RGBA figures, a JPEG mask), build
    ``overlay-depth`` with exact depth (3 x 2 pairs x 40 = 240 samples), add its statistics
    to the card, and export it in the original layout (``_sources/overlay-original``)."""
    from mattehub.families.overlay_depth.export import export_original
    from mattehub.analysis.statistics import compute_statistics, write_statistics

    sources = make_overlay_sources(sources_root / "overlay-demo")
    options = OverlayDepthOptions(bg_root=str(sources.bg_root), fg_root=str(sources.fg_root),
                                  mask_root=str(sources.mask_root), depth="exact",
                                  bg_depth_root=str(sources.depth_root))
    report = build(OverlayDepthRecipe(options, seed=0),
                   BuildOptions(out=out, workers=workers, progress=progress,
                                limits=ShardLimits(max_samples=DEMO_OVERLAY_SHARD_SAMPLES)))
    write_statistics(out, compute_statistics(out, "overlay-depth", progress=progress))
    original = sources_root / "overlay-original"
    if not (original / "label_data.csv").exists():  # the original layout, to read in place
        export_original(out, original, progress=progress)
    return report


def build_release_demo(out: Path, sources_root: Path, progress: bool = True):
    """Zip a stand-in HIM release with Info-ZIP (split archives included) and convert every
    release config, every split, straight from the zips."""
    release = make_release(sources_root / "release-demo", make_hhm_sources(sources_root / "hhm-demo"))
    reports = []
    for config in RELEASE_RECIPES:
        recipe_cls = RELEASE_RECIPES[config]
        probe = recipe_cls(ReleaseOptions(data_dir=str(release)), seed=0)
        probe.scan()
        for split in probe.splits():
            recipe = recipe_cls(ReleaseOptions(data_dir=str(release), split=split), seed=0)
            options = BuildOptions(out=out, workers=1, split=split, progress=progress,
                                   limits=ShardLimits(max_samples=DEMO_SHARD_SAMPLES))
            reports.append(build(recipe, options))
    return release, reports


def build_duts_demo(out: Path, sources_root: Path, progress: bool = True):
    """Write a tiny DUTS stand-in (DUTS-TR.zip made with Info-ZIP, DUTS-TE/ as a folder) and
    build both ``duts`` splits from it in place; returns (data_dir, reports)."""
    from mattehub.families.duts.options import DutsOptions
    from mattehub.families.duts.recipe import DutsRecipe
    from mattehub.families.duts.standin import make_duts_sources

    data_dir = make_duts_sources(sources_root / "duts-demo").data_dir
    return data_dir, [build(DutsRecipe(DutsOptions(data_dir=str(data_dir), split=split), seed=0),
                            BuildOptions(out=out, workers=1, split=split, progress=progress,
                                         limits=ShardLimits(max_samples=DEMO_SHARD_SAMPLES)))
                      for split in ("train", "test")]


def build_aim_demo(out: Path, sources_root: Path, progress: bool = True):
    """Write a tiny Adobe Image Matting tree (3 training foregrounds whose soft edges carry
    their original backdrop, 4 backgrounds, 1 test foreground x 2 composites) and build
    ``aim`` (``num_bgs`` 2: 6 samples) and ``composition-1k`` from it; returns (sources, reports)."""
    from mattehub.families.aim.options import AimOptions
    from mattehub.families.aim.recipe import AimRecipe, Composition1kRecipe
    from mattehub.families.aim.standin import make_aim_sources

    src = make_aim_sources(sources_root / "aim-demo")
    recipes = {"train": AimRecipe(AimOptions(data_dir=str(src.data_dir), bg_root=str(src.bg_root),
                                             num_bgs=DEMO_AIM_BGS), seed=0),
               "test": Composition1kRecipe(AimOptions(data_dir=str(src.data_dir), split="test"), seed=0)}
    return src, [build(recipes[split], BuildOptions(out=out, workers=1, split=split, progress=progress,
                                                    limits=ShardLimits(max_samples=DEMO_SHARD_SAMPLES)))
                 for split in ("train", "test")]


def run_demo(out: Path, workers: int = 1, progress: bool = True) -> None:
    """Build the demo of every config into ``out`` and print how to load it."""
    out = Path(out)
    reports = [build_i_him_demo(out, out / "_sources", workers, progress),
               build_v_him_demo(out, out / "_sources", workers, progress)]
    release, release_reports = build_release_demo(out, out / "_sources", progress)
    reports += release_reports
    # one process: 48 small samples take about a second, starting workers would take longer
    surreal, bg_root, surreal_report = build_surreal_alpha_demo(out, out / "_sources", 1, progress)
    reports.append(surreal_report)
    reports.append(build_overlay_depth_demo(out, out / "_sources", 1, progress))
    duts, duts_reports = build_duts_demo(out, out / "_sources", progress)
    reports += duts_reports
    aim, aim_reports = build_aim_demo(out, out / "_sources", progress)
    reports += aim_reports
    for report in reports:
        print(f"{report.config}/{report.split}: {report.samples} samples in {report.shards} shards")
    print(f"\nDemo written to {out.resolve()} (preview sheets in {out / 'preview'}). Load it with:\n"
          f"  from datasets import load_dataset\n"
          f"  ds = load_dataset({str(out)!r}, 'i-him', split='train', streaming=True)\n"
          f"  ds = load_dataset({str(out / 'wds')!r}, 'i-him-wds', split='train', streaming=True)\n"
          f"  import mattehub; ds = load_dataset('mattehub', 'i-him', data_dir={str(out)!r}, "
          f"split='train', streaming=True)\n"
          f"  ds = load_dataset({str(out)!r}, 'v-him', split='train', streaming=True)   # clips\n"
          f"  # the original release layout, read in place from split zips:\n"
          f"  ds = load_dataset('mattehub', 'v-him2k5', data_dir={str(release)!r}, streaming=True)\n"
          f"  # SURREAL renders as matting samples (alpha, fg, bg, 16-bit depth, part labels):\n"
          f"  ds = load_dataset({str(out)!r}, 'surreal-alpha', split='train', streaming=True)\n"
          f"  # or composited on the fly from the SURREAL-format tree:\n"
          f"  ds = load_dataset('mattehub', 'surreal-alpha', data_dir={str(surreal)!r}, "
          f"bg_root={str(bg_root)!r}, num_bgs={DEMO_SURREAL_BGS}, split='train', streaming=True)\n"
          f"  # overlay + mask + 16-bit depth; back to the original layout and read in place:\n"
          f"  ds = load_dataset({str(out)!r}, 'overlay-depth', split='train', streaming=True)\n"
          f"  #   (the demo ran: mattehub export overlay-depth {out} --out "
          f"{out / '_sources' / 'overlay-original'})\n"
          f"  ds = load_dataset('mattehub', 'overlay-depth', "
          f"data_dir={str(out / '_sources' / 'overlay-original')!r}, split='train', streaming=True)")
    print(f"  # DUTS read in place (train from DUTS-TR.zip, test from DUTS-TE/), with trimaps:\n"
          f"  ds = load_dataset('mattehub', 'duts', data_dir={str(duts)!r}, split='train', streaming=True)")
    print(f"  # Adobe Image Matting composited on the fly (DIM rule), and the published test set:\n"
          f"  ds = load_dataset('mattehub', 'aim', data_dir={str(aim.data_dir)!r}, bg_root="
          f"{str(aim.bg_root)!r}, num_bgs={DEMO_AIM_BGS}, split='train', streaming=True)\n"
          f"  ds = load_dataset('mattehub', 'composition-1k', data_dir={str(aim.data_dir)!r}, "
          f"split='test', streaming=True)")
