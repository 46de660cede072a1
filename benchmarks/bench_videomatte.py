"""VideoMatte240K benchmark: reading the release in place against decoding it with OpenCV.

    python benchmarks/bench_videomatte.py              # writes docs/benchmarks.md
    python benchmarks/bench_videomatte.py --quick --no-docs

Stand-in releases of the real file formats (written once under ``benchmarks/_work``): the
JPEG release (``train/{fgr,pha}/<video>/<frame>.jpg``, fgr quality 90 colour, pha grey), at
SD-like 768x432 and HD 1920x1080, also zipped (``zip -0``); and the mp4 release (H.264
pairs). Content: a textured figure on black with a soft alpha, as VideoMatte240K's keyed
frames are, moving every frame (no two alphas equal: equal bytes would be handed over once,
``contract.decoded``). Routes, clips of 15 frames, one process (1 CPU), best of 3:

* naive: ``cv2.imread`` of every fgr (colour) and pha (grey) frame of the extracted folder
  (mp4: ``cv2.VideoCapture`` of both videos, frame by frame);
* mattehub make: ``recipe.make_many`` over ``task_ranges`` of every clip (what a build or a
  stream makes: fgr bytes passed through, pha decoded and stored as PNG);
* mattehub decoded: the same, then each sample turned into arrays by the training read path
  (``mattehub.training.arrays.to_arrays``, what ``as_arrays`` calls per row, after
  ``decoded.want()`` as ``as_arrays`` says it: the fgr JPEGs decoded, the alphas' pixels
  handed over by the maker, so each alpha is decoded once), like the naive route's arrays;
* RVM's generated evaluation sets (``videomatte240k-rvm-eval``: Pillow PNG ``com`` and
  ``pha`` frames, 512x288, stored as generated): the naive ``cv2.imread`` of both against
  mattehub's make + decode, and the same with no handover (as if no reader had asked for
  arrays, so ``to_arrays`` decodes every stored alpha itself: what ``contract.decoded`` saves);
* first sample: ``load_dataset("mattehub", "videomatte240k", ...)`` to its first row
  (imports done, torch included).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import write_docs  # noqa: E402
from rounds import interleaved, load_note  # noqa: E402

LOAD_AT_START = os.getloadavg()[0]

MARKS = ("<!-- bench_videomatte:start -->", "<!-- bench_videomatte:end -->")
READING = (
    "How to read it. *make* is reading in place: what a build or a stream does per clip. On the "
    "JPEG releases it beats decoding every frame with OpenCV, because the fgr JPEGs are passed "
    "through undecoded; only the alphas are decoded (and stored as lossless PNG). *make + "
    "decode* adds what a training reader then does (`as_arrays`' per-row `to_arrays`). The "
    "first measurement (0.40x SD / 0.57x HD) decoded the stored PNG alphas with "
    "`cv2.imdecode` (libpng: 0.85 ms SD, 5.3 ms HD a frame); `as_arrays` does not: it inflates "
    "mattehub's own PNGs with zlib-ng (about 0.07 ms SD, 0.25 ms HD), and this benchmark now "
    "measures that read path. Handing the gate's decoded alphas to `as_arrays` "
    "(`contract.decoded`) would save only that inflate for the JPEG releases, and holds pixels: "
    "measured with every alpha handed over, best of 5 on this shared machine, make + decode took "
    "0.50 s against 0.46 s without (SD) and 0.54 s against 0.48 s (HD), no gain. So the family "
    "hands over only alphas stored as the source's own PNG bytes, which `as_arrays` decodes "
    "with libpng: RVM's evaluation sets (the rvm-eval rows, *no handover* without it). Still missing the naive route's throughput on the JPEG "
    "releases, where the time goes (cProfile of *make + decode*, OpenCV on 1 thread): the two "
    "JPEG decodes both routes share are 53% (SD) and 55% (HD) of it; the rest is the alpha's "
    "lossless PNG encode (mattehub's writer, no filter + run-length deflate: 0.16 ms SD, 0.6 ms "
    "HD a frame, the fastest lossless setting measured here; OpenCV's default PNG takes 0.63 / "
    "3.5 ms, and the Up and Sub filters cost the same or more and would change the stored "
    "bytes); copying each decoded frame and alpha into the clip's stacked (T, H, W[, 3]) "
    "arrays (OpenCV's Python `imdecode` has no output argument: 1.7 ms an HD RGB frame, 0.6 ms "
    "an HD alpha); the tree's threaded reads and the gate's header checks. The lossless alpha "
    "(the contract's rule) and the stacked arrays are what the naive route does not do. On "
    "RVM's PNG evaluation sets two costs outside the family dominate: the gate's EXIF check of "
    "each passed-through `com` PNG (Pillow's `getexif` decodes a whole PNG to look for a "
    "trailing eXIf chunk: 2.2 ms a 512x288 frame) and `as_arrays` inflating a Pillow PNG with "
    "zlib-ng before finding its filters adaptive and decoding it again with libpng (0.9 ms). "
    "The mp4 release is slower than `cv2.VideoCapture` since every frame is re-encoded as JPEG "
    "(the stored format) and converted to RGB by libswscale; its alphas go through a luma "
    "table checked equal to PyAV's grey conversion (`clips.py`). First rows are far under the "
    "1 s target.")
WORK = HERE / "_work" / "videomatte-moving"
LENGTH = 15


def _frame(t: int, video: int, size: tuple[int, int], rng) -> tuple[np.ndarray, np.ndarray]:
    width, height = size
    alpha = np.zeros((height, width), np.uint8)
    centre = (int(width * (0.3 + 0.004 * t + 0.02 * video)), int(height * 0.6))  # moves every frame
    cv2.ellipse(alpha, centre, (width // 7, height // 3), 0, 0, 360, 255, -1, cv2.LINE_AA)
    cv2.circle(alpha, (centre[0], centre[1] - height // 3), height // 8, 255, -1, cv2.LINE_AA)
    alpha = cv2.GaussianBlur(alpha, (15, 15), 0)
    texture = rng.integers(0, 255, (height // 8, width // 8, 3), dtype=np.uint8)
    texture = cv2.resize(texture, size, interpolation=cv2.INTER_CUBIC)
    return (texture * (alpha[..., None] / 255.0)).astype(np.uint8), alpha


def make_release(name: str, size: tuple[int, int], videos: int, frames: int, mp4: bool) -> Path:
    """The stand-in release ``name`` (cached): JPEG frame folders, or mp4 pairs."""
    root = WORK / name
    if (root / "done").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    rng = np.random.default_rng(7)
    for video in range(videos):
        pairs = [_frame(t, video, size, rng) for t in range(frames)]
        if mp4:
            import av

            for layer, index, fmt in (("fgr", 0, "rgb24"), ("pha", 1, "gray")):
                path = root / "train" / layer / f"{video:04d}.mp4"
                path.parent.mkdir(parents=True, exist_ok=True)
                with av.open(str(path), "w") as container:
                    stream = container.add_stream("libx264", rate=30)
                    stream.width, stream.height = size
                    stream.pix_fmt = "yuv420p"
                    for pair in pairs:
                        image = pair[index] if fmt == "gray" else cv2.cvtColor(pair[0], cv2.COLOR_BGR2RGB)
                        container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format=fmt)))
                    container.mux(stream.encode())
            continue
        for t, (rgb, alpha) in enumerate(pairs):
            for layer, image in (("fgr", rgb), ("pha", alpha)):
                path = root / "train" / layer / f"{video:04d}" / f"{t:05d}.jpg"
                path.parent.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    (root / "done").write_text("")
    return root


def zipped(root: Path) -> Path:
    target = root.with_suffix(".zip")
    if not target.exists():
        subprocess.run(["zip", "-q", "-r", "-0", str(target), "train"], cwd=root, check=True)
    return target


def naive_frames(root: Path) -> int:
    count = 0
    for video in sorted((root / "train" / "fgr").iterdir()):
        frames = sorted(video.iterdir())
        for path in frames[:len(frames) // LENGTH * LENGTH]:
            cv2.imread(str(path), cv2.IMREAD_COLOR)
            cv2.imread(str(root / "train" / "pha" / video.name / path.name), cv2.IMREAD_GRAYSCALE)
            count += 1
    return count // LENGTH


def naive_mp4(root: Path) -> int:
    clips = 0
    for video in sorted((root / "train" / "fgr").iterdir()):
        caps = [cv2.VideoCapture(str(video)), cv2.VideoCapture(str(root / "train" / "pha" / video.name))]
        frames = 0
        while True:
            ok, _ = caps[0].read()
            ok2, alpha = caps[1].read()
            if not (ok and ok2):
                break
            cv2.cvtColor(alpha, cv2.COLOR_BGR2GRAY)
            frames += 1
        clips += frames // LENGTH
    return clips


def make_rvm_sets(name: str, size: tuple[int, int], clips: int, frames: int) -> Path:
    """A stand-in of RVM's generated evaluation sets (cached): ``videomatte_static/<clip>/
    {com,pha}/<t:04d>.png`` written by Pillow, as RVM's scripts write them."""
    from PIL import Image

    root = WORK / name
    if (root / "done").exists():
        return root / "videomatte_512x288"
    shutil.rmtree(root, ignore_errors=True)
    rng = np.random.default_rng(9)
    for clip in range(clips):
        folder = root / "videomatte_512x288" / "videomatte_static" / f"{clip:04d}"
        back = rng.integers(0, 255, (size[1] // 8, size[0] // 8, 3), dtype=np.uint8)
        back = cv2.resize(back, size, interpolation=cv2.INTER_CUBIC)
        for t in range(frames):
            fgr, alpha = _frame(t, clip, size, rng)
            a = alpha.astype(float)[:, :, None] / 255
            for layer, image in (("com", np.uint8(fgr * a + back * (1 - a))), ("pha", alpha)):
                (folder / layer).mkdir(parents=True, exist_ok=True)
                Image.fromarray(image).save(folder / layer / f"{t:04d}.png")
    (root / "done").write_text("")
    return root / "videomatte_512x288"


def naive_rvm(root: Path) -> int:
    """``cv2.imread`` of every com (colour) and pha (grey) frame, as evaluate_lr.py reads pha."""
    clips = sorted((root / "videomatte_static").iterdir())
    for clip in clips:
        for path in sorted((clip / "com").iterdir()):
            cv2.imread(str(path), cv2.IMREAD_COLOR)
            cv2.imread(str(clip / "pha" / path.name), cv2.IMREAD_GRAYSCALE)
    return len(clips)


def _recipe(data_dir: Path, config: str):
    if config == "videomatte240k-rvm-eval":
        from mattehub.families.videomatte240k.options import RvmEvalOptions
        from mattehub.families.videomatte240k.rvm_eval import RvmEvalRecipe

        return RvmEvalRecipe(RvmEvalOptions(data_dir=str(data_dir)), seed=0)
    from mattehub.families.videomatte240k.options import VideoMatteOptions
    from mattehub.families.videomatte240k.recipe import VideoMatteRecipe

    return VideoMatteRecipe(VideoMatteOptions(data_dir=str(data_dir), clip_length=LENGTH), seed=0)


def mattehub_route(data_dir: Path, decode: bool, handover: bool = True,
                   config: str = "videomatte240k") -> int:
    """``handover`` False: as if no reader had asked for arrays (``decoded.want``), so
    ``to_arrays`` decodes every stored alpha itself."""
    from mattehub.contract import decoded
    from mattehub.training.arrays import to_arrays

    decoded.forget()
    if decode and handover:
        decoded.want()  # what as_arrays says first: the maker hands over pixels it decoded
    recipe = _recipe(data_dir, config)
    recipe.prepare()
    made = 0
    for ids in recipe.task_ranges(0, recipe.available()):
        for outcome in recipe.make_many(ids):
            if decode:
                to_arrays(outcome.sample.fields)
            made += 1
    decoded.forget()
    return made


def first_row(data_dir: Path) -> float:
    """Seconds from ``load_dataset`` to the first row, with datasets, mattehub and torch
    imported first (``datasets`` imports torch on its first IterableDataset when it is
    installed: ~1 s here, a training script's cost, not the reader's)."""
    import mattehub  # noqa: F401
    from datasets import load_dataset

    try:
        import torch  # noqa: F401
    except ImportError:
        pass
    start = time.perf_counter()
    ds = load_dataset("mattehub", "videomatte240k", data_dir=str(data_dir), split="train",
                      streaming=True, clip_length=LENGTH)
    next(iter(ds))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small releases, 1 round")
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    rounds, scale = (1, 1) if args.quick else (3, 2)
    cv2.setNumThreads(1)
    sets = [("SD JPEG 768x432", make_release(f"sd{scale}", (768, 432), 3 * scale, 60, False)),
            ("HD JPEG 1920x1080", make_release(f"hd{scale}", (1920, 1080), scale, 45, False)),
            ("SD mp4 768x432", make_release(f"mp4{scale}", (768, 432), 3 * scale, 60, True))]
    lines = ["| release | route | clips | seconds, best (runs) | clips/s | vs naive |",
             "|---|---|---:|---:|---:|---:|"]
    firsts = []
    for name, root in sets:
        mp4 = "mp4" in name
        routes = [("naive: cv2 " + ("VideoCapture" if mp4 else "imread") + " of every frame",
                   (lambda r=root: naive_mp4(r)) if mp4 else (lambda r=root: naive_frames(r))),
                  ("mattehub make (stored bytes)", lambda r=root: mattehub_route(r, False)),
                  ("mattehub make + decode to arrays", lambda r=root: mattehub_route(r, True))]
        if not mp4:
            routes.append(("mattehub make + decode, from the zip",
                           lambda a=zipped(root): mattehub_route(a, True)))
        routes = interleaved(rounds, routes)
        naive = routes[0][1]
        for label, (best, times, clips) in routes:
            runs = ", ".join(f"{t:.2f}" for t in times)
            lines.append(f"| {name} | {label} | {clips} | {best:.2f} ({runs}) | {clips / best:.1f} | "
                         f"**{naive[0] / best:.2f}x** |")
        firsts.append((name, first_row(root)))
    rvm = make_rvm_sets(f"rvm{scale}", (512, 288), 4 * scale, 25)
    routes = interleaved(rounds, [
        ("naive: cv2 imread of every com and pha frame", lambda: naive_rvm(rvm)),
        ("mattehub make + decode to arrays", lambda: mattehub_route(rvm, True, config="videomatte240k-rvm-eval")),
        ("mattehub make + decode, no handover",
         lambda: mattehub_route(rvm, True, False, "videomatte240k-rvm-eval"))])
    for label, (best, times, clips) in routes:
        runs = ", ".join(f"{t:.2f}" for t in times)
        lines.append(f"| RVM eval 512x288 PNG (rvm-eval, clips of 25) | {label} | {clips} | {best:.2f} ({runs}) | "
                     f"{clips / best:.1f} | **{routes[0][1][0] / best:.2f}x** |")
    text = "\n".join(lines + ["", "First row of `load_dataset(..., streaming=True)` (imports done): "
                              + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in firsts)])
    print(text)
    if not args.no_docs:
        section = (f"{MARKS[0]}\n## VideoMatte240K read in place (`bench_videomatte.py`, issue 24)\n\n"
                   f"Measured {time.strftime('%Y-%m-%d %H:%M')} UTC on a 2-CPU machine ({load_note(LOAD_AT_START)}; "
                   f"best of {rounds} with the routes taking turns, one process, OpenCV on 1 thread). Stand-in releases of the published "
                   "formats: JPEG fgr (quality 90) + grey JPEG pha frame folders, H.264 mp4 pairs, and RVM's generated PNG evaluation sets; "
                   f"clips of {LENGTH} frames. Targets: first sample < 1 s; mattehub at least the naive "
                   "route's throughput.\n\n"
                   f"{text}\n\n{READING}\n\nReproduce: `python benchmarks/bench_videomatte.py` (`--quick "
                   f"--no-docs` for a smoke run).\n{MARKS[1]}\n")
        write_docs(section, MARKS)


if __name__ == "__main__":
    main()
