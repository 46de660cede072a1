"""``bench_release_stream.py``'s report: the markdown section of docs/benchmarks.md
("Release streaming in place") from the results of a run (or of its ``results.json``)."""
from __future__ import annotations

from common import functions_table, measured_lines, md_table, times

MARKS = ("<!-- bench_release_stream:start -->", "<!-- bench_release_stream:end -->")


def _runs(r: dict) -> str:
    return f"{r['seconds']:.2f} ({', '.join(f'{s:.2f}' for s in r['all_seconds'])})"


GOALS = {("(a-arrays)", "all"): 1.5}
"""Targets above 1x (b): issue 21 asks a release in place -> arrays for >= 1.5x, one process."""


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
            goal = GOALS.get((name, cpus), 1.0)
            rows.append((f"{name} >= {goal:g}x (b), {'1 CPU' if cpus == '1' else 'all CPUs, one process'}",
                         f"{times(ratio)} (runs {times(min(spread))} - {times(max(spread))})",
                         verdict(ratio >= goal, min(spread) < goal <= max(spread))))
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


