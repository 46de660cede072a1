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
* first sample: ``load_dataset("mattehub", "videomatte240k", ...)`` to its first row
  (imports done, torch included).
"""
from __future__ import annotations

import argparse
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

MARKS = ("<!-- bench_videomatte:start -->", "<!-- bench_videomatte:end -->")
READING = (
    "How to read it. *make* is reading in place: what a build or a stream does per clip. On the "
    "JPEG releases it beats decoding every frame with OpenCV, more so at HD, because the fgr "
    "JPEGs are passed through undecoded; only the alphas are decoded (and stored as lossless "
    "PNG). *make + decode* adds what a training reader then does (`as_arrays`' per-row "
    "`to_arrays`): the fgr JPEGs are decoded, and each alpha's pixels are handed over by the "
    "maker with its stored PNG (`contract.decoded`), so an alpha is decoded once, as in the "
    "naive route. What is left over the naive route, per frame (profile on one video, best of "
    "3, OpenCV 1 thread): the PNG encode of the alpha (mattehub's writer, no filter + "
    "run-length deflate, the fastest lossless setting measured: 0.17 ms SD, 0.68 ms HD, against "
    "OpenCV's default PNG at 0.63 / 3.5 ms; Up and Sub filters cost the same or more and would "
    "change the stored bytes), the Python per sample (reading the tree, the gate's header "
    "checks, stacking), against the two JPEG decodes both routes share (0.32 + 0.89 ms SD, "
    "1.75 + 3.99 ms HD). Before the handover, the stored PNG was decoded again (0.85 ms SD, "
    "5.3 ms HD a frame): 0.40x / 0.57x of the naive route. Storing the alpha losslessly is the "
    "contract's rule; its encode is the price of it. The mp4 release is slower than "
    "`cv2.VideoCapture` since every frame is re-encoded as JPEG (the stored format) and "
    "converted to RGB by libswscale; its alphas go through a luma table checked equal to "
    "PyAV's grey conversion (`clips.py`). First rows are far under the 1 s target.")
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


def mattehub_route(data_dir: Path, decode: bool) -> int:
    from mattehub.contract import decoded
    from mattehub.families.videomatte240k.options import VideoMatteOptions
    from mattehub.families.videomatte240k.recipe import VideoMatteRecipe
    from mattehub.training.arrays import to_arrays

    if decode:
        decoded.want()  # what as_arrays says first: the maker hands its alphas' pixels over

    recipe = VideoMatteRecipe(VideoMatteOptions(data_dir=str(data_dir), clip_length=LENGTH), seed=0)
    recipe.prepare()
    made = 0
    for ids in recipe.task_ranges(0, recipe.available()):
        for outcome in recipe.make_many(ids):
            fields = outcome.sample.fields
            if decode:
                to_arrays(fields)
            made += 1
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


def interleaved(rounds: int, routes: list[tuple[str, object]]) -> list[tuple[str, tuple[float, list[float], int]]]:
    """Each route run ``rounds`` times, the routes taking turns within each round (so a
    change in the shared machine's load falls on every route alike): (label, (best seconds,
    every run's seconds, clips))."""
    times: dict[str, list[float]] = {label: [] for label, _ in routes}
    counts: dict[str, int] = {}
    for _ in range(rounds):
        for label, run in routes:
            start = time.perf_counter()
            counts[label] = run()
            times[label].append(time.perf_counter() - start)
    return [(label, (min(times[label]), times[label], counts[label])) for label, _ in routes]


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
    text = "\n".join(lines + ["", "First row of `load_dataset(..., streaming=True)` (imports done): "
                              + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in firsts)])
    print(text)
    if not args.no_docs:
        section = (f"{MARKS[0]}\n## VideoMatte240K read in place (`bench_videomatte.py`, issue 24)\n\n"
                   f"Measured {time.strftime('%Y-%m-%d')} on a shared 2-CPU machine (other jobs running: "
                   f"best of {rounds} with the routes taking turns, one process, OpenCV on 1 thread). Stand-in releases of the published "
                   "formats: JPEG fgr (quality 90) + grey JPEG pha frame folders, and H.264 mp4 pairs; "
                   f"clips of {LENGTH} frames. Targets: first sample < 1 s; mattehub at least the naive "
                   "route's throughput.\n\n"
                   f"{text}\n\n{READING}\n\nReproduce: `python benchmarks/bench_videomatte.py` (`--quick "
                   f"--no-docs` for a smoke run).\n{MARKS[1]}\n")
        write_docs(section, MARKS)


if __name__ == "__main__":
    main()
