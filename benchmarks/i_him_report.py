"""``bench_i_him.py``'s report: the markdown section of docs/benchmarks.md ("i-him: build
throughput per core, and memory")."""
from __future__ import annotations

from datetime import datetime, timezone

from i_him_setup import KINDS, LARGE, MARK_END, MARK_START, SMALL, TARGET_AB, TARGET_AC, Plan

# --- reporting ----------------------------------------------------------------------------




def rate(result: dict) -> float:
    """Samples per second (single core)."""
    return result["samples"] / result["seconds"]


def throughput_table(results: dict[str, dict]) -> list[str]:
    """Markdown rows of the (a)/(b)/(c) comparison."""
    lines = ["| run | what | samples | seconds (runs) | samples/s per core | ms/sample | "
             "CPU s/sample | instances/sample | peak RSS MiB |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for kind, r in results.items():
        runs = ", ".join(f"{s:.1f}" for s in r["all_seconds"])
        lines.append(f"| ({kind}) | {KINDS[kind]} | {r['samples']} | {r['seconds']:.1f} ({runs}) | "
                     f"**{rate(r):.2f}** | {1000 * r['seconds'] / r['samples']:.0f} | "
                     f"{r['cpu_seconds'] / r['samples']:.3f} | {r['instances']:.2f} | "
                     f"{r['peak_rss_mib']:.0f} |")
    return lines


def per_run_ratios(results: dict[str, dict], slow: str, fast: str) -> list[float]:
    """time(slow) / time(fast) for each interleaved repeat (same samples in every run)."""
    return [t_slow / t_fast for t_slow, t_fast in
            zip(results[slow]["all_seconds"], results[fast]["all_seconds"])]


def target_row(name: str, ratio: float, runs: list[float], met: bool, straddles: bool) -> str:
    """One markdown row of the targets table."""
    verdict = "yes" if met else "**no**"
    if straddles:
        verdict += " (borderline: the per-run range crosses the target)"
    return (f"| {name} | **{ratio:.2f}x** | {min(runs):.2f}x - {max(runs):.2f}x | "
            f"{verdict} |")


def targets_table(results: dict[str, dict]) -> tuple[list[str], bool]:
    """Markdown rows of the two targets (best-of ratio and per-run range); both met?"""
    ab, ac = rate(results["a"]) / rate(results["b"]), rate(results["c"]) / rate(results["a"])
    ab_runs, ac_runs = per_run_ratios(results, "b", "a"), per_run_ratios(results, "a", "c")
    met_ab, met_ac = ab >= TARGET_AB, ac <= TARGET_AC
    lines = ["| target | ratio of best runs | per-run ratio range | met |", "|---|---:|---:|---|",
             target_row(f"(a) samples/s >= {TARGET_AB:g} x (b): a/b", ab, ab_runs, met_ab,
                        min(ab_runs) < TARGET_AB <= max(ab_runs)),
             target_row(f"(a) time per sample <= {TARGET_AC:g} x (c): a/c", ac, ac_runs, met_ac,
                        min(ac_runs) <= TARGET_AC < max(ac_runs))]
    return lines, met_ab and met_ac


def memory_table(rows: list[dict]) -> list[str]:
    """Markdown rows of the RSS-vs-sample-count runs."""
    lines = ["| samples | shards | seconds | samples/s | peak RSS MiB |",
             "|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['samples']:,} | {r['shards']} | {r['seconds']:.0f} | {rate(r):.1f} | "
              f"**{r['peak_rss_mib']:.0f}** |" for r in rows]
    return lines


def profile_tables(profile: dict) -> list[str]:
    """Markdown of the cProfile summary of (a)."""
    head = ["| function | calls | own s | cum s | share |", "|---|---:|---:|---:|---:|"]

    def body(rows: list[dict]) -> list[str]:
        return [f"| `{r['function']}` | {r['calls']} | {r['own_s']:.2f} | {r['cum_s']:.2f} | "
                f"{100 * r['share']:.0f}% |" for r in rows]

    return ([f"cProfile of (a), {profile['samples']} samples at the large size, "
             f"{profile['total_s']:.1f} s profiled (profiling adds overhead; shares are of "
             "that total).", "", "Top functions by own time (share = own time):", ""]
            + head + body(profile["by_own"])
            + ["", "Stages of (a) by cumulative time (indented rows are part of the row above):",
               "", "| stage | function | cum s | ms/sample | share |", "|---|---|---:|---:|---:|"]
            + [f"| {r['stage'].replace('  ', '&nbsp;&nbsp;')} | `{r['function']}` | "
               f"{r['cum_s']:.2f} | {1000 * r['cum_s'] / profile['samples']:.0f} | "
               f"{100 * r['share']:.0f}% |" for r in profile["stages"]])


def report(info: dict, plan: Plan, results: dict[str, dict], memory: list[dict],
           profile: dict | None, elapsed: float) -> str:
    """The markdown section for docs/benchmarks.md (also printed)."""
    targets, _ = targets_table(results)
    v = info["versions"]
    lines = [MARK_START, "## i-him: build throughput per core, and memory", "",
             f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by "
             f"`python benchmarks/bench_i_him.py` (whole run {elapsed / 60:.1f} min) at "
             f"commit `{info['commit']}` (a copy of the package taken at the start).", "",
             f"- Machine: {info['cpu']}, nproc = {info['nproc']}, {info['mem_gib']:.0f} GiB RAM, "
             f"{info['os']}",
             f"- Python {info['python']}; " + ", ".join(f"{k} {val}" for k, val in v.items()),
             f"- Sources: `make_hhm_sources`, {LARGE.num_foregrounds} foregrounds of "
             f"{LARGE.fg_size[0]}x{LARGE.fg_size[1]} (one listed invalid), "
             f"{LARGE.num_backgrounds} backgrounds of {LARGE.bg_size[0]}x{LARGE.bg_size[1]} "
             "(output size = background size); inputs are in the page cache.",
             f"- Each run is one process pinned to one CPU; the time covers the work only "
             f"(not interpreter start or imports); best of {plan.repeats} interleaved runs, "
             "all run times listed (they vary from run to run, hence the per-run ratio range "
             "below). Every run draws instance count, foregrounds and background per sample "
             "from mattehub's per-sample generator, so all three see the same inputs.",
             "", *throughput_table(results), "", *targets, "",
             "(b)'s peak RSS includes importing mattehub (for the shared random stream). (c) "
             "decodes every drawn foreground, as (a) does, and encodes outputs only for the "
             "instances (a) placed (read from (a)'s meta), so it encodes what (a) encodes. "
             "(c) also copies crops onto blank canvases and masks the foregrounds (a few ms "
             "per sample), so it sits a little above a pure codec cost: a/c is, if anything, "
             "understated.",
             "",
             "### Peak RSS of (a) against sample count", "",
             f"Smaller sources to keep the run short: foregrounds {SMALL.fg_size[0]}x"
             f"{SMALL.fg_size[1]}, backgrounds {SMALL.bg_size[0]}x{SMALL.bg_size[1]}; "
             "default shard limits (1,000 samples per shard); peak RSS of the whole process "
             "from `wait4`.", "", *memory_table(memory)]
    if profile:
        lines += ["", "### Where (a)'s time goes", "", *profile_tables(profile)]
    return "\n".join(lines + [MARK_END]) + "\n"
