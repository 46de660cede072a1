"""DataLoader scaling: a split-zip release streamed through a torch DataLoader at 0-4 workers.

    python benchmarks/bench_dataloader.py            # ~4 min; writes docs/benchmarks.md
    python benchmarks/bench_dataloader.py --quick    # ~1 min smoke run, prints only

The release is the one ``bench_release_stream.py`` generates (``--samples`` I-HIM50K-style
samples: 1024x1024 JPEG + two soft mattes, Info-ZIP split zips of 64 MB). Each run is a fresh
process importing mattehub from a snapshot of the package (``benchmarks/common.py``), free to
use every CPU of the machine:

(s) ``load_dataset("mattehub", "i-him50k", data_dir=D, streaming=True)`` through
    ``torch.utils.data.DataLoader(as_arrays(ds), batch_size=None, num_workers=W)``: every
    sample's image, alpha and instance mattes decoded to uint8 arrays inside the workers, for
    W = 0 (the main process), 1, 2 and 4, with ``D`` the local zips, the same zips served
    by a local HTTP server that honours Range requests (tests/range_server.py), and a
    ``mattehub build i-him50k --format parquet`` of them with default options (one file);
(f) the same samples read from the extracted folder with ``cv2.imread`` in one process
    (what training scripts do after ``zip -F`` + unzip, without counting those two steps).

Samples/s counts the loader's whole run from ``load_dataset`` (imports done before, as in a
training script), worker start-up included; CPUs = the main process's
and the workers' CPU seconds over the wall. Targets: (s) at 2 workers >= 1.7x 1 worker on 2
cores; the scaling from 1 to 4 workers is bounded by the machine's cores.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
from common import (ran_as_child, array_values, best_of, cached, check_snapshot, child_result,  # noqa: E402
                    children_cpu_seconds, machine, md_table, measured_lines, publish, run_child,
                    snapshot_code, timed)

MARKS = ("<!-- bench_dataloader:start -->", "<!-- bench_dataloader:end -->")
WORK = HERE / "_work" / "dataloader"
SCRIPT = Path(__file__).resolve()
WORKERS = (0, 1, 2, 4)
BATCHED = (1, 2)
"""Worker counts also run with ``batch_size=BATCH, collate_fn=pad_collate`` (a training loop)."""
BATCH = 8
WHERE = (("local", "", "zips"), ("http", None, "zips"), ("built", "", "built"))
"""(name, url: "" local / None the Range server, source: the release zips or a build of them)."""


# -- the children ---------------------------------------------------------------------------
def child(spec: dict) -> None:
    check_snapshot(Path(spec["code"]))
    # a training script has imported these before it builds its loader: not part of the timing
    import datasets  # noqa: F401
    import torch.utils.data  # noqa: F401

    import mattehub  # noqa: F401

    run = {"stream": stream_loader, "folder": folder_read}[spec["kind"]]
    child_result(timed(lambda: run(spec)))


def stream_loader(spec: dict) -> dict:
    """(s): the release through a DataLoader with ``spec["workers"]`` workers."""
    import datasets
    import torch.utils.data

    import mattehub  # noqa: F401  (registers the builder)
    from mattehub.training import as_arrays, pad_collate

    url = spec["url"]
    if url is None:
        from range_server import start_server

        server, url = start_server(Path(spec["source"]))
    ds = datasets.load_dataset("mattehub", "i-him50k", data_dir=url or spec["source"], split="train",
                               streaming=True)
    batch = spec.get("batch")
    collate = {"collate_fn": pad_collate} if batch else {}
    loader = torch.utils.data.DataLoader(as_arrays(ds), batch_size=batch, num_workers=spec["workers"],
                                         **collate)
    samples, values = 0, 0
    for example in loader:
        values += array_values(example)
        samples += len(example["image"]) if batch else 1
    del loader  # the workers exit and are reaped: their CPU time counts below
    return {"samples": samples, "decoded_values": values, "shards": ds.num_shards,
            "workers_cpu_seconds": children_cpu_seconds()}


def folder_read(spec: dict) -> dict:
    """(f): every image and matte of the extracted release with cv2, one process."""
    import cv2

    root = Path(spec["extracted"])
    samples, values = 0, 0
    for image in sorted((root / "images").glob("*.jpg"), key=lambda p: int(p.stem)):
        arrays = [cv2.cvtColor(cv2.imread(str(image)), cv2.COLOR_BGR2RGB)]
        mattes = sorted((root / "alphas" / image.stem).glob("*.png"))
        arrays += [cv2.imread(str(m), cv2.IMREAD_GRAYSCALE) for m in mattes]
        values += sum(a.size for a in arrays) + arrays[1].size  # + the union alpha's share
        samples += 1
    return {"samples": samples, "decoded_values": values}


# -- the parent -----------------------------------------------------------------------------
def built(zips: Path, samples: int) -> Path:
    """``mattehub build i-him50k`` of the release with default options: one Parquet file of
    a few MB row groups at 160 samples (the layout that left all but one worker idle)."""
    def build(out: Path) -> None:
        subprocess.run([sys.executable, "-m", "mattehub", "build", "i-him50k", "--data-dir",
                        str(zips), "--out", str(out), "--format", "parquet", "--no-progress"],
                       check=True)

    return cached(WORK / f"built-{samples}", build)


def sources(samples: int) -> tuple[Path, Path]:
    """(zips folder, extracted I-HIM50K folder), generated once per sample count."""
    from bench_release_stream import TOP, make_release

    root = cached(WORK / f"release-{samples}", lambda r: make_release(r, samples, "64m"))

    def extract(folder: Path) -> None:
        joined = folder / "joined.zip"
        folder.mkdir(parents=True)
        subprocess.run(["zip", "-q", "-F", str(root / "zips" / f"{TOP}.zip"), "--out", str(joined)],
                       check=True)
        subprocess.run(["unzip", "-q", str(joined), "-d", str(folder)], check=True)
        joined.unlink()

    extracted = cached(WORK / f"extracted-{samples}", extract)
    return root / "zips", extracted / TOP


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=160, help="samples in the release (default 160)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per kind; the fastest counts")
    parser.add_argument("--quick", action="store_true", help="40 samples, 1 run, print only")
    parser.add_argument("--docs", action=argparse.BooleanOptionalAction, default=None,
                        help="write docs/benchmarks.md (default: on unless --quick)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.samples, args.repeats = 40, 1
    return args


def main() -> None:
    args = parse_args()
    if ran_as_child(args, child):
        return
    start, load_start = time.perf_counter(), os.getloadavg()[0]
    code = WORK / "code"
    commit = snapshot_code(code)
    zips, extracted = sources(args.samples)
    folder = built(zips, args.samples)
    kinds = {"f": {"kind": "folder"}}
    for where, url, source in WHERE:
        for workers in WORKERS:
            kinds[f"s-{where}-{workers}"] = {"kind": "stream", "workers": workers, "url": url,
                                             "source": str(folder if source == "built" else zips)}
        for workers in BATCHED:
            kinds[f"b-{where}-{workers}"] = dict(kinds[f"s-{where}-{workers}"], batch=BATCH)
    base = {"code": str(code), "extracted": str(extracted)}
    results = best_of(kinds, args.repeats, lambda k: run_child(SCRIPT, code, dict(base, **kinds[k])))
    info = dict(machine(("datasets", "torch", "opencv-python-headless")), commit=commit)
    load = (load_start, os.getloadavg()[0])
    publish(report(args, info, results, time.perf_counter() - start, load), MARKS, args)


def cores(result: dict) -> float:
    """CPUs kept busy on average: the main process's and the workers' CPU over the wall."""
    return (result["cpu_seconds"] + result["workers_cpu_seconds"]) / result["seconds"]


def scaling_lines(rate: dict, results: dict) -> list[str]:
    """Markdown bullets: 1 -> 2 and 1 -> 4 workers per source, against the 1.7x target."""
    lines = []
    for where, _, _ in WHERE:
        one, two, four = (rate[f"s-{where}-{w}"] for w in (1, 2, 4))
        batched = rate[f"b-{where}-2"] / rate[f"b-{where}-1"]
        lines.append(f"- {where}: 1 -> 2 workers **{two / one:.2f}x**, in batches of {BATCH} "
                     f"**{batched:.2f}x** (target >= 1.7x: **{'met' if min(two / one, batched) >= 1.7 else 'missed'}**), "
                     f"1 -> 4 workers {four / one:.2f}x; one worker keeps "
                     f"{cores(results[f's-{where}-1']):.2f} CPUs busy (main process included), two keep "
                     f"{cores(results[f's-{where}-2']):.2f}; {results[f's-{where}-1']['shards']} generator shards.")
    return lines


def table_rows(rate: dict, results: dict) -> list[list]:
    """One row per worker count (samples/s and CPUs per source), then the batched runs."""
    rows = []
    for prefix, counts in (("s", WORKERS), ("b", BATCHED)):
        for workers in counts:
            label = workers if workers else "0 (main process)"
            cells = [f"{label}, batches of {BATCH}" if prefix == "b" else label]
            for where, _, _ in WHERE:
                key = f"{prefix}-{where}-{workers}"
                cells += [f"{rate[key]:.1f}", f"{cores(results[key]):.2f}"]
            rows.append(cells)
    return rows


def report(args, info: dict, results: dict, elapsed: float, load) -> str:
    rate = {k: r["samples"] / r["seconds"] for k, r in results.items()}
    folder = rate["f"]
    rows = table_rows(rate, results)
    lines = [MARKS[0], "## DataLoader scaling: a release and a shard folder through torch workers", "",
             f"{results['f']['samples']} I-HIM50K-style samples (1024x1024 JPEG q95 + 2 soft "
             "mattes each) in Info-ZIP split zips of 64 MB, streamed with "
             "`load_dataset(\"mattehub\", \"i-him50k\", data_dir=D, streaming=True)` through "
             "`DataLoader(as_arrays(ds), batch_size=None, num_workers=W)`: every sample decoded to "
             "uint8 arrays (image, union alpha, instance mattes) in the workers; \"batches of "
             f"{BATCH}\" rows pass `batch_size={BATCH}, collate_fn=pad_collate` (batches made in the "
             "workers, as a training loop reads). A DataLoader worker reads on one CPU (no "
             "read-ahead thread, as torch runs one thread per worker); the main process (W = 0) "
             "reads ahead on a second thread. `D` is the local "
             "zips (local), the same zips behind a local HTTP server that honours Range requests "
             "(http), or `mattehub build i-him50k --format parquet` of them with default options "
             "(built: one Parquet file). Samples/s from `load_dataset` to the last sample (datasets, torch and mattehub imported before), worker start-up included; "
             f"fastest of {args.repeats}. CPUs = (main process + workers) CPU seconds / wall. "
             f"(f) reads the extracted folder with `cv2.imread`, one process: **{folder:.1f} "
             "samples/s**.", "",
             *md_table(["workers", "local samples/s:", "CPUs:", "HTTP samples/s:", "CPUs:",
                        "built samples/s:", "CPUs:"], rows), "",
             *scaling_lines(rate, results),
             f"- This machine has {info['nproc']} cores: 4 workers share them.", "",
             *measured_lines(info, "python benchmarks/bench_dataloader.py", elapsed, load),
             MARKS[1]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
