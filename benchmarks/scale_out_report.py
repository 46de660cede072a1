"""The markdown section of ``bench_scale_out.py``: runs, targets, identity, Ray's cost per
shard, where the time goes, and the projection to many cores (``scale_projection.py``)."""
from __future__ import annotations

from pathlib import Path

from common import functions_table, md_table, ratio_table, times, top_functions
from scale_out_setup import LOAD_QUIET, LOAD_WAIT, MAIN, RAY_CPUS, RUNS, TINY, Plan
from scale_projection import Costs, project, projection_lines

TARGET_WORKERS = 1.8
"""(2) samples/s >= this x (1), whole processes."""
TARGET_CPU = 1.1
"""(2)'s total CPU per sample <= this x (1)'s."""
TARGET_PARENT_MS = 0.5
"""(2)'s parent process: CPU ms per sample at most this."""
TARGET_RAY = 1.15
"""(ray) build call seconds <= this x (2)'s build call."""
PROJECTED = 50_000
SETUPS = {"16 cores, local": (16, 1, False), "64 cores, local": (64, 1, False),
          "Ray, 4 nodes x 16 cores": (16, 4, True)}


def speedup(results: dict[str, dict]) -> float:
    """(2)'s samples/s over (1)'s, whole processes."""
    return (results["2"]["samples"] / results["2"]["seconds"]) / (
        results["1"]["samples"] / results["1"]["seconds"])


def per_sample_ms(run: dict, key: str) -> float:
    return 1000 * run[key] / run["samples"]


def runs_rows(results: dict[str, dict]) -> list[str]:
    """Every run: times (whole process and build call), CPU per sample, peak RSS."""
    rows = []
    for kind, r in results.items():
        whole = RUNS[kind][1].get("whole")
        rows.append((f"({kind})", RUNS[kind][2], r["samples"], r["shards"],
                     f"{r['seconds']:.2f} ({', '.join(f'{s:.2f}' for s in r['all_seconds'])})",
                     f"**{r['samples'] / r['seconds']:.1f}**",
                     f"{r['inside_seconds']:.2f}" if whole else "(same)",
                     f"{per_sample_ms(r, 'tree_cpu_seconds'):.1f}",
                     f"{per_sample_ms(r, 'cpu_seconds'):.2f}",
                     f"{per_sample_ms(r, 'inside_cpu_seconds'):.2f}",
                     f"{r['ray_start_seconds']:.2f}" if "ray_start_seconds" in r else "-",
                     f"{r['peak_rss_mib']:.0f}",
                     f"{r['workers_peak_rss_mib']:.0f}" if "workers_peak_rss_mib" in r else "-"))
    return md_table(("run", "what", "samples:", "shards:", "seconds, best (runs):",
                     "samples/s:", "build call s (inside):", "total CPU ms/sample:",
                     "parent CPU ms/sample:", "parent CPU ms/sample in the build call:",
                     "Ray start-up s (not counted):", "parent peak RSS MiB:",
                     "workers' peak RSS MiB:"), rows)


def further(every: dict[str, list[dict]], big: str = "2", small_kind: str = "2-small",
            ) -> dict[str, float | list[float]]:
    """CPU seconds per further sample, the slope between ``small_kind`` and ``big`` (runs of
    the same build on 2 and on all its shards), so that once-per-build costs (start-up,
    imports, scan, finalize) drop out: the parent's and the workers', from each kind's least
    CPU over its runs (a shared machine only adds CPU), and the parent's slope of every
    round (its spread is the noise)."""
    two, small = every[big], every[small_kind]
    count = two[0]["samples"] - small[0]["samples"]
    parent = lambda r: r["cpu_seconds"]  # noqa: E731
    workers = lambda r: r["tree_cpu_seconds"] - r["cpu_seconds"]  # noqa: E731
    least = lambda runs, cpu: min(map(cpu, runs))  # noqa: E731
    return {"parent": (least(two, parent) - least(small, parent)) / count,
            "workers": (least(two, workers) - least(small, workers)) / count,
            "parent_rounds": [(parent(t) - parent(s)) / count for t, s in zip(two, small)]}


def target_rows(results: dict[str, dict], every: dict[str, list[dict]],
                ) -> tuple[list[str], dict[str, bool]]:
    """The CPU, parent and Ray targets (the speed-up is ``ratio_table``'s); which are met."""
    one, two, ray = results["1"], results["2"], results["ray"]
    cpu = (two["tree_cpu_seconds"] / two["samples"]) / (one["tree_cpu_seconds"] / one["samples"])
    slope, probe = further(every), further(every, "p-tiny", "p-tiny-small")
    parent, rounds = 1000 * slope["parent"], [1000 * s for s in slope["parent_rounds"]]
    worst = max(slope["parent"], probe["parent"])
    ceiling = (f"**{1 / worst:,.0f} samples/s**" if worst > 0 else
               "none measurable (both slopes are within the noise of 0)")
    ray_ratio = ray["seconds"] / two["inside_seconds"]
    met = {"cpu": cpu <= TARGET_CPU, "parent": parent <= TARGET_PARENT_MS,
           "ray": ray_ratio <= TARGET_RAY}
    yes = lambda ok: "yes" if ok else "**no**"  # noqa: E731
    rows = [(f"(2)/(1) total CPU per sample, whole processes, <= {TARGET_CPU:g}x",
             f"**{cpu:.2f}x**", yes(met["cpu"])),
            (f"(2)'s parent CPU per further sample (slope (2-small) to (2), least CPU of each; "
             f"per round {min(rounds):.2f} to {max(rounds):.2f} ms) <= {TARGET_PARENT_MS:g} ms",
             f"**{parent:.3f} ms**", yes(met["parent"]) + (
                 " (borderline: the per-round range crosses it)"
                 if min(rounds) <= TARGET_PARENT_MS < max(rounds) else "")),
            ("(2)'s parent CPU / samples, whole process (start-up, imports, scan, finalize "
             "spread over the samples)", f"{per_sample_ms(two, 'cpu_seconds'):.3f} ms", "-"),
            ("the same with tiny samples (slope (p-tiny-small) to (p-tiny), "
             f"{every['p-tiny'][0]['samples'] - every['p-tiny-small'][0]['samples']} further samples): "
             "the parent's bookkeeping per sample and shard, payload aside",
             f"{1000 * probe['parent']:.3f} ms", "-"),
            ("ceiling the parent sets: 1 / the larger of the two", ceiling, "-"),
            ("64 workers at (2)'s workers' CPU per further sample, parent aside",
             f"{64 / max(slope['workers'], 1e-9):,.0f} samples/s", "-"),
            (f"(ray) build call <= {TARGET_RAY:g}x (2)'s build call", f"**{ray_ratio:.2f}x**",
             yes(met["ray"]))]
    return md_table(("target", "measured:", "met"), rows), met


def overhead(results: dict[str, dict]) -> dict:
    """Ray's cost per shard from the tiny-shard runs (seconds)."""
    local, ray = results["t-local"], results["t-ray"]
    shards = ray["shards"]
    return {"shards": shards, "local_per_shard": local["seconds"] / shards,
            "ray_per_shard": ray["seconds"] / shards,
            "slot_per_shard": (RAY_CPUS * ray["seconds"] - local["seconds"]) / shards,
            "wall_per_shard": (ray["seconds"] - local["seconds"] / RAY_CPUS) / shards,
            "cold_extra": (ray["cold_seconds"] - ray["seconds"]) - (local["cold_seconds"] - local["seconds"]),
            "round_trip": ray["noop_round_trip_seconds"], "throughput": ray["noop_throughput_seconds"]}


def analysis(results: dict[str, dict]) -> list[str]:
    """Where the time of (2) goes, from the whole-process runs' CPU times."""
    one, two, ranges = results["1"], results["2"], results["ranges"]
    fixed = {k: results[k]["seconds"] - results[k]["inside_seconds"] for k in ("1", "2")}
    busy = two["tree_cpu_seconds"] / two["seconds"]
    return [
        f"- The machine's ceiling: (ranges), two independent `--workers 1` processes over half "
        f"the shards each, take {ranges['seconds']:.2f} s: {times(one['seconds'] / ranges['seconds'])} "
        f"(1)'s rate; (2) reaches {times(one['seconds'] / two['seconds'])}, "
        f"{100 * ranges['seconds'] / two['seconds']:.0f}% of that.",
        f"- (2) keeps {busy:.2f} of {RAY_CPUS} CPUs busy over its whole run ("
        + ("CPU-bound" if busy >= 0.9 * RAY_CPUS else "CPU left idle: start-up, imbalance or "
           "waiting") + f"); its CPU: parent {two['cpu_seconds']:.2f} s (of which "
        f"{two['inside_cpu_seconds']:.2f} s in the build call), workers "
        f"{two['helpers_cpu_seconds']:.2f} s; (1): {one['tree_cpu_seconds']:.2f} s in all"
        + (" (**the workers' CPU is barely seen**: `RUSAGE_CHILDREN` counts only processes the "
           "build reaped; a pool whose workers are not its children escapes it)."
           if two["helpers_cpu_seconds"] < 0.1 * one["tree_cpu_seconds"] else "."),
        f"- Outside the build call (interpreter start, imports, teardown): {fixed['1']:.2f} s "
        f"for (1), {fixed['2']:.2f} s for (2) (the build's own imports, lazy, fall in the build "
        f"call); that is {100 * fixed['2'] / two['seconds']:.0f}% of (2)'s wall at {two['samples']} samples.",
    ]


def costs(results: dict[str, dict], every: dict[str, list[dict]], plan: Plan,
          disk_mb_s: float) -> Costs:
    """The projection's inputs from the runs (see ``scale_projection.Costs``): per further
    sample from ``further`` (the parent's: the larger of the i-him and tiny slopes), per
    shard from (t-local) (a one-tiny-sample shard: an upper bound); the once-per-build part
    is what (2)'s wall has beyond the model's workers' time."""
    one, two, cost = results["1"], results["2"], overhead(results)
    slope, per_shard = further(every), cost["local_per_shard"]
    parent = max(0.0, slope["parent"], further(every, "p-tiny", "p-tiny-small")["parent"])
    measured = Costs(per_sample=max(0.0, slope["workers"] - per_shard / plan.per_shard),
                     per_shard=per_shard, parent_per_sample=parent, fixed=0.0,
                     mb_per_sample=one["mb_written"] / one["samples"], disk_mb_s=disk_mb_s,
                     ray_per_shard=max(0.0, cost["slot_per_shard"]),
                     ray_driver_per_shard=results["t-ray"]["cpu_seconds"] / cost["shards"],
                     ray_fixed=max(0.0, cost["cold_extra"]))
    model = project(measured, two["samples"], RAY_CPUS, per_shard=plan.per_shard)["terms"]["workers"]
    return Costs(**{**measured.__dict__, "fixed": max(0.0, two["seconds"] - model)})


def report(info_lines: list[str], results: dict[str, dict], every: dict[str, list[dict]],
           plan: Plan, groups: list[dict],
           profile: Path | None, wait: dict | None, speeds: dict[str, float], work: Path,
           disk_dir: Path, marks: tuple[str, str]) -> str:
    """The section, between ``marks``; ``work``: the scratch folder (sources, outputs);
    ``speeds``: write MB/s by folder, ``disk_dir``'s used for the projection."""
    cost, ratio = overhead(results), speedup(results)
    targets, met = target_rows(results, every)
    lines = [marks[0], "## Scale out: `--workers 2` and `--distributor ray` against "
             "`--workers 1` (i-him), and a projection", "", *info_lines]
    if wait is not None:
        lines.append(f"- Before the runs the benchmark waited {wait['waited_seconds'] / 60:.1f} min "
                     f"for the 1-minute load average to drop below {LOAD_QUIET} "
                     + ("(reached)." if wait["quiet"] else
                        f"(**not reached** within {LOAD_WAIT // 60} min: it was {wait['load']:.2f})."))
    lines += [
        f"- Sources in `{work}` (tmpfs, as are the outputs): `make_hhm_sources`, "
        f"{MAIN.num_foregrounds} foregrounds of {MAIN.fg_size[0]}x{MAIN.fg_size[1]} (one listed "
        f"invalid), {MAIN.num_backgrounds} backgrounds of {MAIN.bg_size[0]}x{MAIN.bg_size[1]}; "
        f"{plan.samples} samples, `--max-samples-per-shard {plan.per_shard}` ({plan.shards} "
        "shards), seed 0, `--format parquet,webdataset`.",
        "- Whole-process runs: a fresh `python benchmarks/measured_main.py` calling "
        "`mattehub.cli.main.main([\"build\", \"i-him\", ...])`, as the `mattehub` command does, "
        "timed from outside (interpreter start and imports included); total CPU = "
        "`RUSAGE_CHILDREN` deltas around it (the process and the workers it reaped); parent "
        "CPU = its own `RUSAGE_SELF` at exit, and during the build call alone. (ray), (t-local), "
        "(t-ray) time the build call inside a child (Ray's start-up apart; Ray's processes' CPU "
        f"via psutil). Best of {plan.repeats} interleaved runs, every run listed.", "",
        *runs_rows(results), "",
        *ratio_table(results, (("2", "1"), ("2", "1-pinned")), TARGET_WORKERS), "",
        *targets, ""]
    for group in groups:
        names = ", ".join(f"({k})" for k in group["group"])
        lines += [(f"**Byte-identical: yes.** {names}: all {group['builds']} builds wrote the same "
                   f"{group['files']} files under `OUT/i-him` and `OUT/wds`, equal sha256 for every file."
                   if group["identical"] else
                   f"**Byte-identical: NO.** {names}: {len(group['differ'])} of {group['files']} "
                   "files differ: " + ", ".join(f"`{d}`" for d in group["differ"][:10])), ""]
    lines += [f"**(2)/(1) = {times(ratio)}: the {TARGET_WORKERS:g}x target is "
              f"{'met' if ratio >= TARGET_WORKERS else 'missed'}; CPU per sample "
              f"{'met' if met['cpu'] else 'missed'}; parent CPU {'met' if met['parent'] else 'missed'}; "
              f"Ray {'met' if met['ray'] else 'missed'}.**", "",
              "### Where the time goes", "", *analysis(results), ""]
    if profile is not None:
        lines += ["(2) once more in a child under cProfile (the build call; the workers are not "
                  "profiled), mattehub's functions by cumulative time:", "",
                  *functions_table(top_functions(profile, 12, "cumulative", "mattehub/")), ""]
    disk = speeds[str(disk_dir)]
    lines += [
        "### Ray's cost per shard", "",
        f"{cost['shards']} tiny samples (backgrounds {TINY.bg_size[0]}x{TINY.bg_size[1]}), one "
        "per shard: (t-local) with the `local` distributor in one process, (t-ray) on the "
        f"{RAY_CPUS}-CPU cluster, both on a warm second build (cold builds "
        f"{results['t-local']['cold_seconds']:.2f} s local, {results['t-ray']['cold_seconds']:.2f} s Ray). "
        f"Overhead per shard = ({RAY_CPUS} x t-ray - t-local) / shards: the time a shard holds a "
        "Ray slot beyond its own work.", "",
        *md_table(("measure", "value:"), [
            ("(t-local): per shard, one process", f"{1000 * cost['local_per_shard']:.1f} ms"),
            (f"(t-ray): per shard, {RAY_CPUS} slots", f"{1000 * cost['ray_per_shard']:.1f} ms"),
            ("**overhead per shard** (slot time)", f"**{1000 * cost['slot_per_shard']:.1f} ms**"),
            ("no-op Ray task, round trip", f"{1000 * cost['round_trip']:.2f} ms"),
            ("no-op Ray task, many in flight", f"{1000 * cost['throughput']:.2f} ms"),
            ("Ray workers' cold start", f"{cost['cold_extra']:.2f} s"),
            ("`ray.init` (in no build time)", f"{results['t-ray']['ray_start_seconds']:.2f} s")]), "",
        f"### Projection: {PROJECTED:,} samples on many cores", "",
        "Sequential write speed (1 MiB blocks, fsync'ed): " + ", ".join(
            f"`{k}` {v:,.0f} MB/s" for k, v in speeds.items())
        + f"; the projection uses the disk's, {disk:,.0f} MB/s (a build writes to a disk).", "",
        *projection_lines(costs(results, every, plan, disk), PROJECTED, SETUPS,
                          f"i-him at {MAIN.bg_size[0]}x{MAIN.bg_size[1]}; I-HIM50K's images "
                          "vary in size, scale the per-sample cost with their pixels"),
        marks[1]]
    return "\n".join(lines) + "\n"
