"""Per-sample cost of the shard writers alone, on encoded samples held in memory.

Samples are made once by real recipes (``i-him`` on HHM-style stand-ins with 1024x768
backgrounds: a JPEG image, PNG alpha, lists of PNG instance mattes, meta; ``overlay-depth``
``--depth none`` at 224x224: JPEG overlay, mask and background, meta), then copied under new
indices. Only the writing is timed (CPU time of the process: user + system, so that other
processes on the machine do not count), each row best of ``--repeats`` rounds, in microseconds
per sample:

- ``tar`` / ``parquet``: one shard writer, ``write`` every sample, then ``close``;
- ``re-read sha256+md5``: hashing both closed files by reading them back
  (``file_digests``, what ``ShardSequence.finish`` did before issue 20; verify still does);
- ``ShardSequence``: the build's writer path, both formats: ``add`` every outcome, ``finish``
  (close, digests, rename, stats JSON);
- ``floor``: the payload bytes written to a file and sha256-hashed, nothing else.

Files go to ``/dev/shm`` (tmpfs) when it exists, so the disk does not time itself.

    python benchmarks/bench_writers.py                      # prints a markdown section
    python benchmarks/bench_writers.py --baseline b273fa5   # and the code before issue 20
    python benchmarks/bench_writers.py --baseline b273fa5 --docs   # into docs/benchmarks.md

Each code version runs in its own child process importing a copy of the package
(``benchmarks/_work/bench-writers/code*``: the working tree now, ``git archive`` of the
baseline).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import (DOCS, HERE, check_snapshot, child_result, export_commit, machine, md_table,
                    measured_lines, run_child, snapshot_code, write_docs)

SOURCES = HERE / "_work" / "bench-writers"
SCRATCH = (Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else
           Path(tempfile.gettempdir())) / f"mattehub-bench-writers-{os.getpid()}"
FORMATS = ("parquet", "webdataset")
MARKS = ("<!-- bench_writers:start -->", "<!-- bench_writers:end -->")
PACKAGES = ("pyarrow", "msgpack")


def ihim_samples(count: int) -> tuple[object, list]:
    """(schema, ``count`` distinct samples made by the ``i-him`` recipe) at 1024x768."""
    from mattehub.families.image_him.options import ImageHimOptions
    from mattehub.families.image_him.recipe import ImageHimRecipe
    from mattehub.families.standins import make_hhm_sources

    made = make_hhm_sources(SOURCES / "hhm", num_foregrounds=8, num_backgrounds=4,
                            fg_size=(800, 1000), bg_size=(1024, 768))
    recipe = ImageHimRecipe(ImageHimOptions(image_root=str(made.image_root), bg_root=str(made.bg_root),
                                            invalid_names=str(made.invalid_names)), seed=0)
    return recipe.schema(), _made(recipe, count)


def overlay_samples(count: int) -> tuple[object, list]:
    """(schema, ``count`` distinct samples of ``overlay-depth --depth none``) at 224x224."""
    from mattehub.families.overlay_depth.options import OverlayDepthOptions
    from mattehub.families.overlay_depth.recipe import OverlayDepthRecipe
    from mattehub.families.overlay_depth.standin import make_overlay_sources

    made = make_overlay_sources(SOURCES / "overlay")
    recipe = OverlayDepthRecipe(OverlayDepthOptions(bg_root=str(made.bg_root), fg_root=str(made.fg_root),
                                                    mask_root=str(made.mask_root), depth="none"), seed=0)
    return recipe.schema(), _made(recipe, count)


def _made(recipe, count: int) -> list:
    recipe.prepare()
    samples, index = [], 0
    while len(samples) < count:
        outcome = recipe.make(index)
        index += 1
        if outcome.sample is not None:
            samples.append(outcome.sample)
    return samples


def repeated(samples: list, total: int) -> list:
    """``total`` samples cycling through ``samples``, each with its own index and key."""
    from mattehub.contract.sample import EncodedSample, sample_key

    return [EncodedSample(i, sample_key(i), samples[i % len(samples)].fields) for i in range(total)]


def best_us(run: Callable[[Path], None], samples: int, repeats: int) -> float:
    """Best wall time of ``run`` (in a fresh scratch folder) over ``repeats``, in µs per sample."""
    best = float("inf")
    for _ in range(repeats):
        shutil.rmtree(SCRATCH, ignore_errors=True)
        SCRATCH.mkdir(parents=True)
        start = time.process_time()
        run(SCRATCH)
        best = min(best, time.process_time() - start)
    shutil.rmtree(SCRATCH, ignore_errors=True)
    return best / samples * 1e6


def write_shard(fmt: str, schema, samples: list, folder: Path) -> Path:
    """One shard of ``fmt`` with every sample; its path."""
    from mattehub.formats import WRITERS

    path = folder / f"shard.{fmt}"
    writer = WRITERS[fmt](path, schema, 16 * 2**20)
    for sample in samples:
        writer.write(sample)
    writer.close()
    return path


def rows(schema, samples: list, repeats: int) -> dict[str, float]:
    """µs per sample of each measured path."""
    from mattehub.build.sequence import ShardLimits, ShardSequence, file_digests
    from mattehub.contract.sample import Outcome
    from mattehub.output.layout import OutputLayout

    n = len(samples)
    shards = {}

    def rehash(folder: Path) -> None:
        for fmt, path in shards.items():
            file_digests(path, with_md5=fmt == "webdataset")

    def sequence(folder: Path) -> None:
        seq = ShardSequence(OutputLayout(folder), schema, "train", FORMATS,
                            ShardLimits(max_samples=n + 1), {})
        for sample in samples:
            seq.add(Outcome(sample.index, sample, []))
        seq.finish()

    def floor(folder: Path) -> None:
        digest = hashlib.sha256()
        with open(folder / "floor", "wb") as handle:
            for sample in samples:
                for data in _payload(sample.fields.values()):
                    handle.write(data)
                    digest.update(data)

    result = {fmt: best_us(lambda f, fmt=fmt: write_shard(fmt, schema, samples, f), n, repeats)
              for fmt in ("webdataset", "parquet")}
    keep = SCRATCH.with_name(SCRATCH.name + "-kept")
    keep.mkdir(parents=True, exist_ok=True)
    shards.update({fmt: write_shard(fmt, schema, samples, keep) for fmt in FORMATS})
    result["rehash"] = best_us(rehash, n, repeats)
    shutil.rmtree(keep)
    result["sequence"] = best_us(sequence, n, repeats)
    result["floor"] = best_us(floor, n, repeats)
    result["mb"] = sum(len(d) for s in samples for d in _payload(s.fields.values())) / n / 1e6
    return result


def _payload(values) -> list[bytes]:
    out = []
    for value in values:
        if isinstance(value, bytes):
            out.append(value)
        elif isinstance(value, list):
            out.extend(_payload(value))
    return out


WORKLOADS = {"i-him 1024x768": (ihim_samples, 12, 5), "overlay-depth 224x224": (overlay_samples, 60, 1)}
"""name: (sample maker, distinct samples made, fraction of ``--samples`` written)."""
ROWS = {"webdataset": "tar writer", "parquet": "Parquet writer", "rehash": "re-read sha256 (+md5 tar)",
        "sequence": "**ShardSequence, both formats**", "floor": "floor: write + sha256 of the payload"}


def child_main(spec: dict) -> None:
    """In a child: every workload measured with the mattehub the child imports."""
    check_snapshot(Path(spec["code"]))
    result = {}
    for name, (make, distinct, fraction) in WORKLOADS.items():
        schema, made = make(distinct)
        result[name] = rows(schema, repeated(made, max(1, spec["samples"] // fraction)), spec["repeats"])
    child_result(result)


def table(runs: dict[str, dict]) -> list[str]:
    """µs per sample: one row per measured path, a column per (workload, code version)."""
    columns = [(workload, version) for workload in WORKLOADS for version in runs]
    header = ["µs per sample"] + [f"{workload}, {version}:" for workload, version in columns]
    body = [[what] + [f"{runs[version][workload][key]:.0f}" for workload, version in columns]
            for key, what in ROWS.items()]
    sizes = ["payload MB per sample"] + [f"{runs[version][workload]['mb']:.3f}"
                                         for workload, version in columns]
    return md_table(header, [*body, sizes])


def section(runs: dict[str, dict], info: dict, command: str, elapsed: float,
            load: tuple[float, float]) -> str:
    lines = [MARKS[0], "## Shard writers: µs of CPU per sample (`bench_writers.py`)", "",
             *measured_lines(info, command, elapsed, load), "",
             "Encoded samples made once by the recipes, then only the writers timed (CPU time of "
             "the process, best of the rounds; files on tmpfs). The writers hash as they write "
             "since issue 20, so their rows include hashing there and the re-read row is what "
             "`ShardSequence.finish` no longer does; the ShardSequence row is the whole writer "
             "path (add, close, digests, rename, stats) of a build.", "", *table(runs), "", MARKS[1]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=1000,
                        help="overlay samples per shard, i-him a fifth of it (default 1000)")
    parser.add_argument("--repeats", type=int, default=5, help="rounds per row, best kept (default 5)")
    parser.add_argument("--baseline", metavar="REV",
                        help="also measure the package as of git commit REV (e.g. b273fa5, before issue 20)")
    parser.add_argument("--docs", action="store_true", help=f"write the section into {DOCS.name}")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(json.loads(args.child))
    started, load = time.perf_counter(), os.getloadavg()[0]
    code = SOURCES / "code"
    versions = {f"now ({snapshot_code(code)})": code}
    if args.baseline:
        base = SOURCES / f"code-{args.baseline}"
        versions = {f"before ({export_commit(args.baseline, base)})": base, **versions}
    runs = {}
    for version, where in versions.items():
        print(f"measuring {version} ...", file=sys.stderr, flush=True)
        runs[version] = run_child(Path(__file__), where, {"code": str(where), "samples": args.samples,
                                                          "repeats": args.repeats})
    info = dict(machine(PACKAGES), commit=" vs ".join(reversed(versions)))
    text = section(runs, info, "python benchmarks/bench_writers.py " + " ".join(argv or sys.argv[1:]),
                   time.perf_counter() - started, (load, os.getloadavg()[0]))
    print("\n" + text)
    if args.docs:
        write_docs(text, MARKS)


if __name__ == "__main__":
    main()
