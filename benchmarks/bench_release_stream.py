"""Release streaming benchmark: an I-HIM50K-style split release streamed in place vs `zip -F` + unzip.

    python benchmarks/bench_release_stream.py              # ~3 min; writes docs/benchmarks.md
    python benchmarks/bench_release_stream.py --quick      # ~1 min smoke run, prints only
    python benchmarks/bench_release_stream.py --before REV # also runs commit REV (~6 min)

The first run also generates the archives (~2 min; cached in benchmarks/_work/release_stream).

The release: ``--samples`` I-HIM50K-style samples (``I-HIM50K/images/<id>.jpg``, 1024x1024
JPEG q95 of gradients, blobs, texture and noise, 0.6-1.2 MB each; ``alphas/<id>/{0,1}.png``,
two occlusion-applied soft-edged mattes), zipped by Info-ZIP like the release (``zip -r -X
-s 64m``: deflate, split parts). Every run is a fresh process importing mattehub from a
snapshot of the package (``benchmarks/common.py``), pinned to one CPU ("1 CPU") or free to
use the machine's CPUs as one process ("all CPUs"):

(a) ``load_dataset("mattehub", "i-him50k", data_dir=<zips>, streaming=True)`` after
    ``import mattehub`` (and ``import torch`` when installed: ``datasets`` imports it on its
    first IterableDataset, a one-off 1-3 s, reported apart), every row's image, alpha and
    instance_alphas decoded to numpy;
(b) the upstream route: ``zip -F`` to one zip, ``unzip``, ``cv2.imread`` of every file, and
    the extra disk it takes;
(c) raw member throughput: the recipe's member reads (``tree.read_many(image_plan)``) of
    every sample, no gate, no decoding; MB/s of member (uncompressed) bytes, next to the
    inflate + CRC-32 floor of the same bytes (zlib, and the inflater in use);
(m) ``recipe.make`` of every sample (reads + gate + union alpha), no ``datasets``;
(d) time from ``load_dataset`` (imports done) to the first decoded row, for the release above
    and for a large archive of ``--large-samples`` tiny samples (3 members each, the member
    count of the real I-HIM50K): only the central directory may be read before it; with
    the time to open the archive and to group its listing into samples.

Targets: (a) >= 1x (b) in samples/s at one worker; (c) >= 200 MB/s; (d) < 1 s for both
archives. ``--before REV`` runs (a), (c), (m), (d) also on the package of git commit ``REV``
(exported with ``git archive``), or of a folder laid out like the snapshot (``mattehub/`` with
``builders/`` inside). ``--profile`` adds a cProfile of (a) on 1 CPU; ``--report-only``
re-renders the last run's results.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import (best_of, cached, export_commit, machine, publish, ran_as_child,  # noqa: E402
                    run_child, snapshot_code, top_functions)
from release_stream_children import child  # noqa: E402
from release_stream_data import TOP, VERSION, archive_facts, make_large, make_release  # noqa: E402,F401
from release_stream_report import MARKS, report  # noqa: E402

WORK = HERE / "_work" / "release_stream"
SCRIPT = Path(__file__).resolve()


# -- the parent -----------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small smoke run; prints only, unless --docs")
    parser.add_argument("--samples", type=int, help="samples in the release (default 160, quick 40)")
    parser.add_argument("--large-samples", type=int,
                        help="samples in the large archive for (d) (default 50000, quick 5000)")
    parser.add_argument("--repeats", type=int, help="runs per workload, best kept (default 3, quick 1)")
    parser.add_argument("--before", metavar="REV", help="also run the package of this git commit, or "
                        "of this folder (laid out like benchmarks/_work/release_stream/code)")
    parser.add_argument("--before-label", help="what to call a --before folder in the tables")
    parser.add_argument("--profile", action=argparse.BooleanOptionalAction, default=False,
                        help="cProfile (a) and list its top functions")
    parser.add_argument("--docs", action=argparse.BooleanOptionalAction, default=None,
                        help="rewrite the section in docs/benchmarks.md (default: yes unless --quick)")
    parser.add_argument("--report-only", action="store_true",
                        help="re-render the report of the last run (its results.json), run nothing")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.samples = args.samples or (40 if args.quick else 160)
    args.large_samples = args.large_samples or (5000 if args.quick else 50000)
    args.repeats = args.repeats or (1 if args.quick else 3)
    return args


def main() -> None:
    args = parse_args()
    if ran_as_child(args, child):
        return
    if args.report_only:
        saved = json.loads((WORK / "results.json").read_text())
        args = argparse.Namespace(**dict(saved["args"], docs=args.docs, quick=saved["args"]["quick"]))
        publish(report(args, saved["info"], saved["codes"], saved["facts"], saved["results"],
                       saved["firsts"], saved["profile"], saved["elapsed"], saved["load"]), MARKS, args)
        return
    started, load = time.perf_counter(), os.getloadavg()[0]
    one_cpu = sorted(os.sched_getaffinity(0))[-1]
    info = dict(machine(("datasets", "opencv-python-headless", "numpy", "pillow", "pyarrow", "isal")),
                commit=snapshot_code(WORK / "code"))
    codes = {"after": (WORK / "code", info["commit"])}
    if args.before and Path(args.before).is_dir():  # a package folder laid out like WORK/code
        shutil.rmtree(WORK / "code-before", ignore_errors=True)
        shutil.copytree(args.before, WORK / "code-before")
        codes = {"before": (WORK / "code-before", args.before_label or Path(args.before).name), **codes}
    elif args.before:
        codes = {"before": (WORK / "code-before", export_commit(args.before, WORK / "code-before")),
                 **codes}
    split_size = "16m" if args.samples < 100 else "64m"
    release = cached(WORK / f"release-v{VERSION}-{args.samples}-{split_size}",
                     lambda root: make_release(root, args.samples, split_size)) / "zips"
    large = cached(WORK / f"large-v{VERSION}-{args.large_samples}",
                   lambda root: make_large(root, args.large_samples)) / "zips"
    facts = {"release": archive_facts(release), "large": archive_facts(large)}
    print(f"release: {args.samples} samples, {facts['release']['bytes'] / 1e6:.0f} MB in "
          f"{facts['release']['parts']} parts; large: {args.large_samples} samples in "
          f"{facts['large']['parts']} parts", flush=True)

    def run(kind: str, version: str = "after", cpus: str = "1", zips: Path = release, **extra) -> dict:
        code = codes[version][0]
        spec = {"kind": kind, "code": str(code), "zips": str(zips),
                "scratch": str(WORK / "baseline-scratch"), **extra}
        return run_child(SCRIPT, code, spec, one_cpu if cpus == "1" else None)

    kinds = ["baseline@1", "baseline@all", "arrays@1", "arrays@all"] + [
        f"{kind}:{v}" for v in codes for kind in ("stream@1", "stream@all", "raw@1", "make@1")]

    def one(name: str) -> dict:
        kind, _, version = name.partition(":")
        kind, _, cpus = kind.partition("@")
        return run(kind, version or "after", cpus)

    results = best_of(kinds, args.repeats, one)
    firsts: dict[str, list[dict]] = {}
    for version in codes:
        for name, zips in (("release", release), ("large", large)):
            got = [run("first", version, "1", zips) for _ in range(args.repeats)]
            firsts[f"{name}:{version}"] = got
            seconds = ", ".join(f"{r['first_seconds']:.2f}" for r in got)
            print(f"  (d) {name} {version}: {seconds} s", flush=True)
    profile = None
    if args.profile:
        out = WORK / "profile-stream.prof"
        run("stream", profile_out=str(out))
        profile = top_functions(out, 25)
    elapsed, load = time.perf_counter() - started, (load, os.getloadavg()[0])
    codes = {version: [str(path), label] for version, (path, label) in codes.items()}
    (WORK / "results.json").write_text(json.dumps(
        {"args": {k: v for k, v in vars(args).items() if k != "child"}, "info": info, "codes": codes,
         "facts": facts, "results": results, "firsts": firsts, "profile": profile,
         "elapsed": elapsed, "load": load}, indent=1, default=str))
    publish(report(args, info, codes, facts, results, firsts, profile, elapsed, load), MARKS, args)




if __name__ == "__main__":
    main()
