"""``bench_v_him.py``'s report: the markdown section of docs/benchmarks.md ("v-him: build
throughput per core ...")."""
from __future__ import annotations

from datetime import datetime, timezone

from v_him_setup import KINDS, MARK_END, MARK_START, SOURCES, TARGET_AB, Plan

# --- reporting ----------------------------------------------------------------------------




def rate(result: dict) -> float:
    """Clips per second (single core)."""
    return result["clips"] / result["seconds"]


def throughput_table(results: dict[str, dict]) -> list[str]:
    """Markdown rows of the (a)/(b) comparison."""
    lines = ["| run | what | clips written (skipped) | attempts | frames | seconds (runs) | "
             "clips/s per core | s/clip | frames/s | CPU s/clip | time in rejected attempts "
             "| peak RSS MiB |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for kind, r in results.items():
        runs = ", ".join(f"{s:.1f}" for s in r["all_seconds"])
        rejected = r["rejected_seconds"]
        rejected = f"{rejected:.1f} s ({100 * rejected / r['seconds']:.0f}%)"
        lines.append(f"| ({kind}) | {KINDS[kind]} | {r['clips']} ({r['skipped']}) | "
                     f"{r['attempts']} | {r['frames']} | {r['seconds']:.1f} ({runs}) | "
                     f"**{rate(r):.3f}** | {r['seconds'] / r['clips']:.2f} | "
                     f"{r['frames'] / r['seconds']:.1f} | {r['cpu_seconds'] / r['clips']:.2f} | "
                     f"{rejected} | {r['peak_rss_mib']:.0f} |")
    return lines


def targets_table(results: dict[str, dict]) -> tuple[list[str], bool, float]:
    """Markdown rows of the target (best-of ratio and per-run range); met? and the ratio."""
    ratio = rate(results["a"]) / rate(results["b"])
    runs = [tb / ta for ta, tb in zip(results["a"]["all_seconds"], results["b"]["all_seconds"])]
    met = ratio >= TARGET_AB
    verdict = "yes" if met else "**no**"
    if min(runs) < TARGET_AB <= max(runs):
        verdict += " (borderline: the per-run range crosses the target)"
    lines = ["| target | ratio of best runs | per-run ratio range | met |", "|---|---:|---:|---|",
             f"| (a) clips/s >= {TARGET_AB:g} x (b): a/b | **{ratio:.2f}x** | "
             f"{min(runs):.2f}x - {max(runs):.2f}x | {verdict} |"]
    return lines, met, ratio


def memory_table(rows: list[dict]) -> list[str]:
    """Markdown rows of the RSS-vs-clip-count runs."""
    lines = ["| clips requested | written (skipped) | frames | shards | seconds | clips/s | "
             "peak RSS MiB |", "|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['clips'] + r['skipped']} | {r['clips']} ({r['skipped']}) | {r['frames']:,} | "
              f"{r['shards']} | {r['seconds']:.0f} | {rate(r):.3f} | "
              f"**{r['peak_rss_mib']:.0f}** |" for r in rows]
    return lines


def profile_tables(profile: dict) -> list[str]:
    """Markdown of the cProfile summary of (a)."""
    att = profile["attempts"]
    total = profile["total_s"]
    lines = [f"cProfile of (a), {profile['clips']} clips requested ({profile['written']} written), "
             f"{total:.1f} s profiled (profiling adds overhead; shares are of that total).", "",
             f"Attempts: {att['accepted']} accepted took {att['accepted_s']:.1f} s "
             f"({100 * att['accepted_s'] / total:.0f}%), {att['rejected']} rejected took "
             f"{att['rejected_s']:.1f} s ({100 * att['rejected_s'] / total:.0f}%) "
             "(synthesis only; encoding happens for accepted clips only).", "",
             "Top functions by own time (share = own time):", "",
             "| function | calls | own s | cum s | share |", "|---|---:|---:|---:|---:|"]
    lines += [f"| `{r['function']}` | {r['calls']} | {r['own_s']:.2f} | {r['cum_s']:.2f} | "
              f"{100 * r['share']:.0f}% |" for r in profile["by_own"]]
    lines += ["", "Stages of (a) by cumulative time (indented rows are part of the row above):",
              "", "| stage | function | cum s | share |", "|---|---|---:|---:|"]
    lines += [f"| {r['stage'].replace('  ', '&nbsp;&nbsp;')} | `{r['function']}` | "
              f"{r['cum_s']:.2f} | {100 * r['share']:.0f}% |" for r in profile["stages"]]
    return lines


def report(info: dict, plan: Plan, results: dict[str, dict], check: dict, memory: list[dict],
           profile: dict | None, elapsed: float) -> str:
    """The markdown section for docs/benchmarks.md (also printed)."""
    targets, _, _ = targets_table(results)
    v, s = info["versions"], SOURCES
    same = (f"{check['same']} of {check['a_clips']} clips written by (a) were made by (b) from "
            "identical choices (level, attempt, sources, start frames, background and its start, "
            "crop boxes, placed boxes)")
    same += "." if not check["differ"] else f"; clip ids that differ: {check['differ']}."
    lines = [MARK_START, "## v-him: build throughput per core, and memory", "",
             f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by "
             f"`python benchmarks/bench_v_him.py` (whole run {elapsed / 60:.1f} min) at "
             f"commit `{info['commit']}` (a copy of the package taken at the start).", "",
             f"- Machine: {info['cpu']}, nproc = {info['nproc']}, {info['mem_gib']:.0f} GiB RAM, "
             f"{info['os']}",
             f"- Python {info['python']}; " + ", ".join(f"{k} {val}" for k, val in v.items()),
             f"- Sources (generated by the benchmark from `make_hhm_sources` people and scenes, "
             f"laid out like `make_video_sources`): {s.fg_clips} foreground frame folders of "
             f"{s.fg_frames} frames at {s.fg_size[0]}x{s.fg_size[1]} (JPEG + PNG matte, person "
             f"drifting and bobbing), {s.bg_stills} still backgrounds and {s.bg_clips} background "
             f"frame folders of {s.bg_frames} frames at {s.bg_size[0]}x{s.bg_size[1]} (output "
             "size); `level=mix` (easy/medium/hard by clip id), T = 30 frames per clip; inputs "
             "are in the page cache.",
             f"- Each run is one process pinned to one CPU; the time covers the work only (not "
             f"interpreter start or imports); best of {plan.repeats} interleaved runs, all run "
             "times listed. Both draw every attempt's choices from mattehub's per-clip generator, "
             "so they make the same clips, redraws included: " + same,
             "", *throughput_table(results), "", *targets, "",
             "An attempt is one draw of a clip; medium and hard clips are redrawn while their "
             "occlusion is out of range (up to 10 attempts, then the clip is skipped), so most "
             "of the work of both runs goes into attempts that are thrown away. (b) stops "
             "compositing an attempt at the first frame whose occlusion is over the level's "
             "upper limit (a straightforward per-frame check); (a) composites all frames of an "
             "attempt and then judges it. Both decode every frame of the chosen clips before "
             "the layout can be made (the crop box is the union over the clip). (b) writes the "
             "release's folders (`fgr/<vid>/<i:05d>.jpg` at JPEG q95, `pha/<vid>/<i:05d>/"
             "<k:02d>.png` with Pillow's default PNG settings); (a) writes Parquet and "
             "WebDataset shards (each clip's encoded frames go to both). (b)'s peak RSS includes "
             "importing mattehub (for the shared random stream).", "",
             "### Peak RSS of (a) against clip count", "",
             "Same sources; default shard limits; peak RSS of the whole process from `wait4`. "
             f"The {len(memory)} runs ran at the same time, one CPU each, so their times are "
             "not comparable with the table above.", "", *memory_table(memory)]
    if profile:
        lines += ["", "### Where (a)'s time goes", "", *profile_tables(profile)]
    return "\n".join(lines + [MARK_END]) + "\n"
