"""Shard folder -> arrays: ``as_arrays`` against cv2 reading the same stored bytes as files, per core.

    python benchmarks/bench_read.py                        # ~3 min; writes docs/benchmarks.md
    python benchmarks/bench_read.py --before 671a270       # adds (s-before): as_arrays at that commit
    python benchmarks/bench_read.py --quick                # ~30 s smoke run, prints only

An i-him shard folder (``mattehub build i-him`` on the 1024x768 stand-in sources of
``scale_out_setup.py``; per sample one JPEG image, one JPEG background, K JPEG foregrounds,
one PNG alpha and K PNG instance mattes) is read in fresh processes pinned to one CPU:

(s) ``as_arrays(load_dataset(FOLDER, "i-him", split="train", streaming=True), "numpy")``:
    every image field decoded to arrays (fg and instance_alphas stacked to (K, H, W...));
(d) the same through a map-style ``Dataset`` (``load_dataset("parquet", ...)``, its Arrow
    cache made before the timing);
(s-before) (s) with the package as of ``--before REV`` (``git archive``), when given;
(f) the same stored bytes written out as files (``image_0.jpg``, ``alpha_0.png``...), each read
    with ``cv2.imread`` (``IMREAD_COLOR_RGB`` for JPEG, ``IMREAD_UNCHANGED`` for PNG): what a
    training script does on a folder, with no stacking;
(c) per-image decode times of the stored bytes in memory: Pillow (as ``datasets`` does it),
    ``cv2.imdecode``, simplejpeg (when installed) and ``mattehub.training.stored``.

Target: (s)/(f) >= 1.2x in samples/s per core. Wall and CPU seconds are both reported; on a
shared machine the CPU ratio is the steadier one.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import (ran_as_child, best_of, cached, check_snapshot, child_benchmark_parser, child_result,  # noqa: E402
                    export_commit, functions_table, machine, md_table, measured_lines, publish,
                    ratio_table, run_child, runs_table, snapshot_code, timed, times, top_functions)
from scale_out_setup import MAIN, SEED, sources  # noqa: E402

MARKS = ("<!-- bench_read:start -->", "<!-- bench_read:end -->")
SCRIPT = Path(__file__).resolve()
FIELDS = ("image", "alpha", "instance_alphas", "fg", "bg")
CPU = 0


# -- the children ---------------------------------------------------------------------------
def child(spec: dict) -> None:
    check_snapshot(Path(spec["code"]))
    import cv2

    cv2.setNumThreads(1)
    run = {"stream": stream_read, "dataset": dataset_read, "files": files_read, "codecs": codecs}[spec["kind"]]
    if spec["kind"] in ("stream", "dataset"):
        import datasets  # noqa: F401  (imports are not part of the timing)
        import torch  # noqa: F401

        import mattehub.training  # noqa: F401
    child_result(timed(lambda: run(spec), spec.get("profile")))


def count(example: dict) -> int:
    return sum(example[name].size for name in FIELDS)


def stream_read(spec: dict) -> dict:
    """(s): the folder streamed through ``as_arrays``."""
    import datasets

    from mattehub.training import as_arrays

    ds = datasets.load_dataset(spec["folder"], "i-him", split="train", streaming=True)
    values = samples = 0
    for example in as_arrays(ds, "numpy"):
        values, samples = values + count(example), samples + 1
    return {"samples": samples, "decoded_values": values}


def dataset_read(spec: dict) -> dict:
    """(d): the map-style Dataset (Arrow cache prepared by the parent) through ``as_arrays``."""
    import datasets

    from mattehub.training import as_arrays

    ds = as_arrays(datasets.load_dataset("parquet", data_files=spec["parquet"], split="train",
                                         cache_dir=spec["cache"]), "numpy")
    values = sum(count(ds[i]) for i in range(len(ds)))
    return {"samples": len(ds), "decoded_values": values}


def files_read(spec: dict) -> dict:
    """(f): every stored image as a file, read with cv2."""
    import cv2

    values = samples = 0
    for folder in sorted(p for p in Path(spec["files"]).iterdir() if p.is_dir()):
        for path in sorted(folder.iterdir()):
            flag = cv2.IMREAD_COLOR_RGB if path.suffix == ".jpg" else cv2.IMREAD_UNCHANGED
            values += cv2.imread(str(path), flag).size
        samples += 1
    return {"samples": samples, "decoded_values": values}


def codecs(spec: dict) -> dict:
    """(c): ms per stored image, best of 5 passes, by decoder."""
    import io

    import cv2
    import numpy as np

    from mattehub.training import stored

    kinds: dict[str, list[bytes]] = {"jpeg": [], "png": []}
    for path in sorted(p for p in Path(spec["files"]).rglob("*") if p.suffix in (".png", ".jpg")):
        kinds["png" if path.suffix == ".png" else "jpeg"].append(path.read_bytes())
    decoders = {
        "Pillow (datasets' decode + np.array)": lambda b, c: np.array(_pillow(io.BytesIO(b))),
        "cv2.imdecode": lambda b, c: cv2.imdecode(np.frombuffer(b, np.uint8),
                                                  cv2.IMREAD_COLOR_RGB if c else cv2.IMREAD_UNCHANGED),
        "mattehub.training.stored": lambda b, c: stored.decode(b, stored.header(b, c)),
    }
    try:
        import simplejpeg

        decoders["simplejpeg"] = lambda b, c: simplejpeg.decode_jpeg(b, "RGB") if c else None
    except ImportError:
        pass
    result = {}
    for kind, items in kinds.items():
        colour = kind == "jpeg"
        for name, decode in decoders.items():
            if name == "simplejpeg" and not colour:
                continue
            best = min(_pass_seconds(decode, items, colour) for _ in range(5))
            result[f"{kind}|{name}"] = 1000 * best / len(items)
    return {"ms_per_image": result, "images": {k: len(v) for k, v in kinds.items()}, "samples": 1}


def _pillow(source):
    """Open and load, as ``datasets.Image.decode_example`` does."""
    import PIL.Image

    image = PIL.Image.open(source)
    image.load()
    return image


def _pass_seconds(decode, items: list[bytes], colour: bool) -> float:
    start = time.process_time()
    for data in items:
        decode(data, colour)
    return time.process_time() - start


# -- the parent -----------------------------------------------------------------------------
def shard_folder(work: Path, samples: int, code: Path) -> Path:
    """``mattehub build i-him`` of ``samples`` samples (shards of 16) on the MAIN sources."""
    src = sources(MAIN, work)

    def build(out: Path) -> None:
        env = dict(os.environ, PYTHONPATH=str(code))
        subprocess.run([sys.executable, "-m", "mattehub.cli.main", "build", "i-him",
                        "--image-root", str(src / "hhm"), "--bg-root", str(src / "bg"),
                        "--invalid-names", str(src / "invalid_him.txt"), "--out", str(out),
                        "--num-samples", str(samples), "--seed", str(SEED), "--workers", "2",
                        "--max-samples-per-shard", "16", "--no-progress"], check=True, env=env,
                       stdout=subprocess.DEVNULL)

    return cached(work / f"i-him-{samples}", build)


def stored_files(folder: Path) -> Path:
    """Every stored image of the folder's Parquet shards as a file, one folder per sample."""
    import pyarrow.parquet as pq

    def write(root: Path) -> None:
        for shard in sorted((folder / "i-him").glob("*.parquet")):
            for row in pq.read_table(shard, columns=["__key__", *FIELDS]).to_pylist():
                sample = root / row["__key__"]
                sample.mkdir(parents=True)
                for name in FIELDS:
                    items = row[name] if isinstance(row[name], list) else [row[name]]
                    for index, item in enumerate(items):
                        suffix = "png" if item["bytes"][:4] == b"\x89PNG" else "jpg"
                        (sample / f"{name}_{index}.{suffix}").write_bytes(item["bytes"])

    return cached(folder.parent / f"{folder.name}-files", write)


def parse_args():
    parser = child_benchmark_parser(__doc__, __doc__, (5, 1), HERE / "_work" / "read",
                                    "also run (s) once under cProfile and report its top functions")
    parser.add_argument("--samples", type=int, help="samples in the folder (default 64, quick 16)")
    parser.add_argument("--before", help="a git revision: also time (s) with the package as of it")
    args = parser.parse_args()
    args.samples = args.samples or (16 if args.quick else 64)
    args.repeats = args.repeats or (1 if args.quick else 5)
    return args


def main() -> None:
    args = parse_args()
    if ran_as_child(args, child):
        return
    start, load_start = time.perf_counter(), os.getloadavg()[0]
    code = args.work / "code"
    commit = snapshot_code(code)
    folder = shard_folder(args.work, args.samples, code)
    files = stored_files(folder)
    parquet = sorted(str(p) for p in (folder / "i-him").glob("*.parquet"))
    base = {"folder": str(folder), "files": str(files), "parquet": parquet,
            "cache": str(args.work / "hf-cache")}
    _prepare_cache(parquet, base["cache"])
    specs = {"s": {"kind": "stream", "code": str(code)}, "d": {"kind": "dataset", "code": str(code)},
             "f": {"kind": "files", "code": str(code)}}
    if args.before:
        before = args.work / "code-before"
        args.before = export_commit(args.before, before)
        specs["s-before"] = {"kind": "stream", "code": str(before)}
    results = best_of(specs, args.repeats,
                      lambda k: run_child(SCRIPT, Path(specs[k]["code"]), dict(base, **specs[k]), CPU))
    codec = run_child(SCRIPT, code, dict(base, kind="codecs", code=str(code)), CPU)
    profile = None
    if args.profile if args.profile is not None else not args.quick:
        out = args.work / "stream.prof"
        run_child(SCRIPT, code, dict(base, kind="stream", code=str(code), profile=str(out)), CPU)
        profile = top_functions(out, 12)
    info = dict(machine(("datasets", "opencv-python-headless", "pillow", "zlib-ng", "simplejpeg")),
                commit=commit)
    elapsed, load = time.perf_counter() - start, (load_start, os.getloadavg()[0])
    publish(report(args, info, results, codec, profile, elapsed, load), MARKS, args)


def _prepare_cache(parquet: list[str], cache: str) -> None:
    """Make (d)'s Arrow cache once, outside the timing."""
    import datasets

    datasets.load_dataset("parquet", data_files=parquet, split="train", cache_dir=cache)


def report(args, info: dict, results: dict, codec: dict, profile: dict | None, elapsed: float,
           load) -> str:
    what = {"s": "`as_arrays` over `load_dataset(FOLDER, \"i-him\", streaming=True)`",
            "d": "`as_arrays` over a map-style `Dataset` (Parquet, Arrow cache made before)",
            "f": "`cv2.imread` of the same stored bytes as files",
            "s-before": f"(s) with the package as of `{args.before}`"}
    values = {r["decoded_values"] for r in results.values()}
    pairs = [("s", "f"), ("d", "f")] + ([("s-before", "f")] if "s-before" in results else [])
    cpu_rows = [(f"{a}/{b}", f"**{times(results[b]['cpu_seconds'] / results[a]['cpu_seconds'])}**")
                for a, b in pairs]
    lines = [MARKS[0], "## Reading a shard folder into arrays (`bench_read.py`, issue 21)", "",
             "`as_arrays` decodes the stored bytes itself (`mattehub.training.stored`): mattehub's "
             "PNGs inflated by zlib-ng, other PNGs and JPEGs by OpenCV; `datasets` makes no PIL "
             "image. (s-before) is the Pillow route it replaced. The (c) table is what the decoder "
             "choice rests on; simplejpeg is not a dependency (see docs/training.md).", "",
             *measured_lines(info, "python benchmarks/bench_read.py" + (
                 f" --before {args.before}" if args.before else ""), elapsed, load),
             f"- {args.samples} i-him samples (1024x768; JPEG image, bg and K fg, PNG alpha and "
             f"K instance mattes), every run pinned to CPU {CPU}; best of {args.repeats} runs; "
             "every run decoded the same "
             f"{'number of values' if len(values) == 1 else '**different numbers of values**'} "
             f"({', '.join(map(str, sorted(values)))})", "",
             *runs_table(results, {k: what[k] for k in results}), "",
             *ratio_table(results, pairs, 1.2), "", "CPU-time ratio (steadier on a shared machine):", "",
             *md_table(("pair", "CPU s ratio:"), cpu_rows), "",
             f"(c) ms per stored image in memory, CPU time, best of 5 passes ({codec['images']}):", "",
             *md_table(("kind", "decoder", "ms/image:"),
                       [(*key.split("|"), f"{ms:.2f}") for key, ms in codec["ms_per_image"].items()])]
    if profile:
        lines += ["", f"(s) under cProfile, top functions by own time (total {profile['total_s']:.2f} s):",
                  "", *functions_table(profile)]
    return "\n".join([*lines, MARKS[1]]) + "\n"


if __name__ == "__main__":
    main()
