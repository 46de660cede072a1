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
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import (ran_as_child, array_values, best_of, cached, check_snapshot, child_result, export_commit, functions_table,  # noqa: E402
                    machine, md_table, measured_lines, publish, run_child, snapshot_code,
                    timed, times, top_functions)

MARKS = ("<!-- bench_release_stream:start -->", "<!-- bench_release_stream:end -->")
WORK = HERE / "_work" / "release_stream"
SCRIPT = Path(__file__).resolve()
TOP = "I-HIM50K"
VERSION = 1  # of the generated content: bump when make_release changes


# -- the generated release ------------------------------------------------------------------
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


# -- the children ---------------------------------------------------------------------------
def child(spec: dict) -> None:
    check_snapshot(Path(spec["code"]))
    kind = spec["kind"]
    run = {"stream": stream_decoded, "arrays": stream_arrays, "baseline": baseline,
           "raw": raw_members, "make": make_all, "first": first_sample}[kind]
    if kind in ("stream", "arrays", "first"):
        spec = dict(spec, torch_import_seconds=import_torch())
        import_stream_modules()
    if kind == "first":
        child_result(run(spec))
        return
    child_result(dict(timed(lambda: run(spec), spec.get("profile_out")),
                      torch_import_seconds=spec.get("torch_import_seconds")))


def import_stream_modules() -> None:
    """Import ``datasets`` and the mattehub builder before the timer, as a training script
    has: since issue 18 ``import mattehub`` is cheap and loads them on first use, which would
    otherwise put about a second of imports into (a) that earlier code paid at import."""
    import datasets  # noqa: F401
    try:
        import mattehub.streaming.builder  # noqa: F401
    except ImportError:  # code from before issue 18: ``import mattehub`` loaded the builder
        pass


def import_torch() -> float | None:
    """Import torch when installed (``datasets`` does on its first IterableDataset; a
    training script has it already); its seconds, None when not installed."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return None
    start = time.perf_counter()
    import torch  # noqa: F401

    return time.perf_counter() - start


def _stream(zips: str):
    import datasets

    import mattehub  # noqa: F401  (registers the builder)

    return datasets.load_dataset("mattehub", "i-him50k", data_dir=zips, streaming=True)["train"]


def stream_decoded(spec: dict) -> dict:
    """(a): every row, image + alpha + instance alphas decoded to numpy."""
    import numpy as np

    rows, pixels = 0, 0
    for row in _stream(spec["zips"]):
        arrays = [np.asarray(row["image"]), np.asarray(row["alpha"])]
        arrays += [np.asarray(a) for a in row["instance_alphas"]]
        pixels += sum(a.size for a in arrays)
        rows += 1
    return {"samples": rows, "decoded_values": pixels}


def stream_arrays(spec: dict) -> dict:
    """(a-arrays): every row through ``mattehub.training.as_arrays``: the stored bytes decoded
    to uint8 arrays without Pillow (the route training takes)."""
    from mattehub.training import as_arrays

    rows, pixels = 0, 0
    for example in as_arrays(_stream(spec["zips"])):
        pixels += array_values(example)
        rows += 1
    return {"samples": rows, "decoded_values": pixels}


def baseline(spec: dict) -> dict:
    """(b): zip -F + unzip + cv2 decode of every file; the extra disk it used. CPU seconds
    include the zip and unzip processes."""
    import cv2

    out = Path(spec["scratch"])
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    subprocess.run(["zip", "-q", "-F", str(Path(spec["zips"]) / f"{TOP}.zip"), "--out",
                    str(out / "all.zip")], check=True)
    subprocess.run(["unzip", "-q", str(out / "all.zip"), "-d", str(out / "x")], check=True)
    images = sorted((out / "x" / TOP / "images").glob("*.jpg"))
    pixels = 0
    for image in images:
        pixels += cv2.imread(str(image), cv2.IMREAD_COLOR).size
        for matte in sorted((out / "x" / TOP / "alphas" / image.stem).glob("*.png")):
            pixels += cv2.imread(str(matte), cv2.IMREAD_UNCHANGED).size
    extra = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    shutil.rmtree(out)
    return {"samples": len(images), "decoded_values": pixels, "extra_bytes": extra,
            "children_cpu_seconds": children.ru_utime + children.ru_stime}


def _recipe(zips: str):
    import mattehub  # noqa: F401
    from mattehub.families.registry import recipe_class
    from mattehub.families.releases.options import ReleaseOptions

    recipe = recipe_class("i-him50k")(ReleaseOptions(data_dir=zips, split="train"), seed=0)
    recipe.prepare()
    return recipe


def raw_members(spec: dict) -> dict:
    """(c): the member bytes of every sample as ``make`` reads them, nothing decoded; then
    the inflate + CRC-32 floor of the same members (compressed bytes already in memory)."""
    import zlib

    from mattehub.inputs.archives import records
    from mattehub.families.releases import samples

    start = time.perf_counter()
    recipe = _recipe(spec["zips"])
    opened = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    total = 0
    for _, entry in recipe.sources.entries:
        total += sum(map(len, recipe.sources.tree.read_many(samples.image_plan(entry, False))))
    read, read_cpu = time.perf_counter() - start, time.process_time() - cpu
    archive = recipe.sources.tree.zip
    deflated = []
    for _, entry in recipe.sources.entries:
        for name in samples.image_plan(entry, False):
            member = archive.member(name)
            blob = archive.parts.read(member.offset, records.LOCAL_SIZE + 1024 + member.compressed_size)
            at = records.local_data_start(blob)
            deflated.append((member, blob[at:at + member.compressed_size]))
    floors = {}
    inflaters = {"zlib": zlib}
    try:
        from isal import isal_zlib

        inflaters["isal"] = isal_zlib
    except ImportError:
        pass
    for label, module in inflaters.items():
        cpu = time.process_time()
        for member, data in deflated:
            zlib.crc32(module.decompress(data, -15, member.size) if member.method == 8 else data)
        floors[label] = time.process_time() - cpu
    from mattehub.inputs.archives import splitzip

    return {"samples": len(recipe.sources.entries), "member_bytes": total, "open_seconds": opened,
            "read_seconds": read, "read_cpu_seconds": read_cpu, "floor_cpu_seconds": floors,
            "inflater": "isal" if getattr(splitzip, "_isal", None) else "zlib",
            "deflated_share": sum(m.size for m, _ in deflated if m.method == 8) / max(1, total)}


def make_all(spec: dict) -> dict:
    """(m): ``recipe.make`` of every sample (reads, gate, union alpha)."""
    recipe = _recipe(spec["zips"])
    made = [recipe.make(index) for index in range(recipe.available())]
    assert all(outcome.sample is not None for outcome in made)
    return {"samples": len(made)}


def first_sample(spec: dict) -> dict:
    """(d): seconds from ``load_dataset`` (imports done) to the first decoded row; then, on
    their own, opening the archive and grouping its listing into samples."""
    import datasets  # noqa: F401
    import numpy as np

    import mattehub  # noqa: F401
    from mattehub.inputs.archives import SplitZip

    start = time.perf_counter()
    row = next(iter(_stream(spec["zips"])))
    np.asarray(row["image"])
    first = time.perf_counter() - start
    start = time.perf_counter()
    SplitZip(str(Path(spec["zips"]) / f"{TOP}.zip"))
    opened = time.perf_counter() - start
    start = time.perf_counter()
    recipe = _recipe(spec["zips"])
    return {"first_seconds": first, "open_seconds": opened,
            "prepare_seconds": time.perf_counter() - start, "samples": recipe.available(),
            "torch_import_seconds": spec.get("torch_import_seconds")}


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


def _runs(r: dict) -> str:
    return f"{r['seconds']:.2f} ({', '.join(f'{s:.2f}' for s in r['all_seconds'])})"


def targets(args, codes, results, firsts) -> list[str]:
    """Markdown: each target, the best "after" number, and whether it is met."""
    def verdict(met: bool, borderline: bool = False) -> str:
        return ("yes" if met else "**no**") + (" (borderline: the runs straddle it)" if borderline else "")

    rows = []
    for cpus in ("1", "all"):
        base = results[f"baseline@{cpus}"]
        for name, key in (("(a)", f"stream@{cpus}:after"), ("(a-arrays)", f"arrays@{cpus}")):
            ours = results[key]
            ratio = base["seconds"] / ours["seconds"]
            spread = [b / o for b, o in zip(base["all_seconds"], ours["all_seconds"])]
            rows.append((f"{name} >= 1x (b), {'1 CPU' if cpus == '1' else 'all CPUs, one process'}",
                         f"{times(ratio)} (runs {times(min(spread))} - {times(max(spread))})",
                         verdict(ratio >= 1, min(spread) < 1 <= max(spread))))
    raw = results["raw@1:after"]
    rate = raw["member_bytes"] / 1e6 / raw["read_seconds"]
    zlib_floor = raw["member_bytes"] / 1e6 / raw["floor_cpu_seconds"]["zlib"]
    rows.append(("(c) raw member reads >= 200 MB/s, 1 CPU", f"{rate:.0f} MB/s ({raw.get('inflater')} "
                 f"inflate; zlib's own floor here: {zlib_floor:.0f})", verdict(rate >= 200)))
    for name, what in (("release", f"{args.samples} samples"), ("large", f"{args.large_samples} samples")):
        best = min(r["first_seconds"] for r in firsts[f"{name}:after"])
        rows.append((f"(d) first sample < 1 s, {what}", f"{best:.2f} s", verdict(best < 1)))
    return ["### Targets (the \"after\" code)", "", *md_table(("target", "best", "met"), rows)]


def report(args, info, codes, facts, results, firsts, profile, elapsed, load) -> str:
    samples, mb = args.samples, (lambda n: n / 1e6)  # noqa: E731
    before = (f" --before {args.before}" + (f" --before-label '{args.before_label}'" if args.before_label else "")
              if args.before else "")
    command = ("python benchmarks/bench_release_stream.py" + before
               + (" --quick" if args.quick else ""))
    lines = [MARKS[0], "## Release streaming in place", "",
             *measured_lines(info, command, elapsed, load), "",
             f"Release: {samples} I-HIM50K-style samples (1024x1024 JPEG q95 photo-like images with 2 "
             f"soft-edged PNG mattes each, {mb(facts['release']['bytes']) / samples:.2f} MB a sample), "
             f"{mb(facts['release']['bytes']):.0f} MB in {facts['release']['parts']} Info-ZIP parts "
             f"(`zip -r -X -s {'16m' if samples < 100 else '64m'}`: every member deflated), local "
             "disk, page cache warm. Every run is a fresh process: **1 CPU** = pinned to one CPU, "
             f"**all CPUs** = one process free to use the machine's {info['nproc']} (one worker: no "
             f"DataLoader workers, no extra processes). Best of {args.repeats} runs (all runs in "
             "brackets); CPU s counts every thread (and, for (b), the zip and unzip processes).", "",
             *targets(args, codes, results, firsts), "",
             "### End to end, decoded (target: (a) >= 1x (b) at one worker)", ""]
    rows = []
    for cpus in ("1", "all"):
        base = results[f"baseline@{cpus}"]
        base_cpu = base["cpu_seconds"] + base["children_cpu_seconds"]
        rows.append((f"(b) {cpus} CPU{'s' if cpus == 'all' else ''}", "`zip -F` + `unzip` + "
                     "`cv2.imread` of every file", "-", _runs(base), f"{samples / base['seconds']:.1f}",
                     f"{base_cpu:.1f}", "1.00x", f"{mb(base['extra_bytes']):.0f} MB"))
        for version, (_, commit) in codes.items():
            r = results[f"stream@{cpus}:{version}"]
            rows.append((f"(a) {cpus} CPU{'s' if cpus == 'all' else ''}, {version}",
                         "`load_dataset(..., streaming=True)`, image + alpha + instance_alphas "
                         "decoded", f"`{commit}`", _runs(r), f"{samples / r['seconds']:.1f}",
                         f"{r['cpu_seconds']:.1f}", f"**{times(base['seconds'] / r['seconds'])}**", "0"))
        r = results[f"arrays@{cpus}"]
        rows.append((f"(a-arrays) {cpus} CPU{'s' if cpus == 'all' else ''}, after",
                     "the same through `mattehub.training.as_arrays` (no Pillow)",
                     f"`{codes['after'][1]}`", _runs(r), f"{samples / r['seconds']:.1f}",
                     f"{r['cpu_seconds']:.1f}", f"**{times(base['seconds'] / r['seconds'])}**", "0"))
    for version, (_, commit) in codes.items():
        r = results[f"make@1:{version}"]
        rows.append((f"(m) 1 CPU, {version}", "`recipe.make` of every sample (reads, gate, union "
                     "alpha), no `datasets`", f"`{commit}`", _runs(r), f"{samples / r['seconds']:.1f}",
                     f"{r['cpu_seconds']:.1f}", "-", "0"))
    lines += md_table(("run", "what", "code", "seconds, best (runs):", "samples/s:", "CPU s:",
                       "vs (b) same CPUs:", "extra disk:"), rows)
    torch = [r["torch_import_seconds"] for k, r in results.items() if k.startswith("stream")
             and r.get("torch_import_seconds")]
    if torch:
        lines += ["", f"Not in (a): `import torch` ({min(torch):.1f} s here), which `datasets` does "
                      "on its first IterableDataset when torch is installed (a training script has "
                      "imported it already; `USE_TORCH=0` skips it otherwise)."]
    raw_rows = []
    for version, (_, commit) in codes.items():
        r = results[f"raw@1:{version}"]
        total = r["member_bytes"]
        floor = ", ".join(f"{name} {mb(total) / sec:.0f}" for name, sec in r["floor_cpu_seconds"].items())
        raw_rows.append((version, f"`{commit}`", r.get("inflater", "zlib"), f"{mb(total):.0f}",
                         f"{r['open_seconds']:.3f}", f"{r['read_seconds']:.2f}",
                         f"**{mb(total) / r['read_seconds']:.0f}**", f"{mb(total) / r['read_cpu_seconds']:.0f}",
                         floor))
    lines += ["", "### Raw member reads (target: >= 200 MB/s)", "",
              "Every sample's members read as `make` reads them (`tree.read_many(image_plan)`: "
              "local headers, inflate, CRC-32), nothing decoded; MB of member (uncompressed) bytes, "
              f"1 CPU. {100 * results['raw@1:after']['deflated_share']:.0f}% of the bytes are "
              "deflated members: the floor is inflating them plus the CRC-32 of everything, with "
              "the compressed bytes already in memory.", "",
              *md_table(("code", "commit", "inflater", "MB:", "open + scan s:", "read s:", "MB/s:",
                         "MB per CPU s:", "floor, MB per CPU s:"), raw_rows), ""]
    first_rows = []
    for version, (_, commit) in codes.items():
        for name in ("release", "large"):
            got = firsts[f"{name}:{version}"]
            best = min(got, key=lambda r: r["first_seconds"])
            count = samples if name == "release" else args.large_samples
            first_rows.append((version, f"`{commit}`", f"{count} samples, {3 * count} members, "
                               f"{facts[name]['parts']} parts", f"**{best['first_seconds']:.2f}**",
                               ", ".join(f"{r['first_seconds']:.2f}" for r in got),
                               f"{min(r['open_seconds'] for r in got):.2f}",
                               f"{min(r['prepare_seconds'] for r in got):.2f}"))
    lines += ["### First sample (target: < 1 s after imports)", "",
              "Seconds from `load_dataset(...)` (datasets, mattehub and torch imported) to the "
              "first row with its image decoded, 1 CPU; then, apart, opening the archive "
              "(`SplitZip`: end records, central directory, 4 bytes per part) and the recipe's "
              "`prepare` (opening + grouping the listing into samples).", "",
              *md_table(("code", "commit", "archive", "first row s, best:", "runs s:", "open s:",
                         "prepare s:"), first_rows), ""]
    if profile:
        pil = sum(r["own_s"] for r in profile["rows"] if "ImagingDecoder" in r["function"])
        lines += [f"### cProfile of (a), 1 CPU, {codes['after'][1]} (total {profile['total_s']:.1f} s, own time)", "",
                  f"PIL decoding the rows in `datasets` (the consumer's side, `ImagingDecoder.decode`): "
                  f"{pil:.1f} s of {profile['total_s']:.1f} s; mattehub's `make` is the OpenCV matte "
                  "decodes and union encode (`imdecode`, `imencode`) and the member reads (inflate, "
                  "waited for in `_thread.lock.acquire`).", "",
                  *functions_table(profile), ""]
    lines += [f"Reproduce: `{command}` (`--quick` for a smoke run, `--profile` for the cProfile "
              "table).", MARKS[1], ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
