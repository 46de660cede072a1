"""``bench_overlay.py``'s report: the markdown section of docs/benchmarks.md ("overlay-depth:
synthesis throughput per core, and depth models"), with the cProfile stage tables."""
from __future__ import annotations

import pstats
from pathlib import Path

from common import functions_table, md_table, rate, ratio_table, times, top_functions
from overlay_setup import (BG_PIXELS, FG_HEIGHT, MARKS, MODEL_RUNS, MODES, PER_PAIR, RUNS,
                           TARGETS, UPSTREAM, WHOLE, Plan)
from overlay_whole import whole_section


# --- profile stages -------------------------------------------------------------------------
STAGES = [  # (title, (file, function), caller (file, function) or None, indent)
    ("whole build", ("build/run.py", "build"), None, 0),
    ("scan sources (once per build)", ("families/overlay_depth/synth_source.py", "scan"), None, 1),
    ("load the depth model", ("families/overlay_depth/depth_model.py", "load"), None, 2),
    ("make samples: pixel work", ("families/overlay_depth/synth_source.py", "_overlay"), None, 1),
    ("placement: per-sample generator", ("families/overlay_depth/synth.py", "locate"), None, 2),
    ("background: decode, resize, encode (once per background)",
     ("families/overlay_depth/synth.py", "_load_background"), None, 2),
    ("foreground: decode (once per pair)", ("families/overlay_depth/sources.py", "load_foreground"), None, 2),
    ("foreground: flip + premultiplied resize (once per pair and scale)",
     ("families/overlay_depth/synth.py", "_scaled"), None, 2),
    ("encode outputs", ("families/overlay_depth/synth_source.py", "_encode"), None, 1),
    ("overlay JPEG", ("contract/codecs.py", "encode_rgb"), ("families/overlay_depth/synth_source.py", "_encode"), 2),
    ("mask PNG (+ depth PNG)", ("contract/codecs.py", "encode_png"),
     ("families/overlay_depth/synth_source.py", "_encode"), 2),
    ("meta dict", ("families/overlay_depth/synth_source.py", "_meta"), None, 2),
    ("depth model: processor + forward + post-processing", ("families/overlay_depth/synth_source.py", "_predict"),
     None, 1),
    ("image processor", ("image_processing", "__call__"), ("families/overlay_depth/depth_model.py", "_forward"), 2),
    ("model forward", ("torch/nn/modules/module.py", "_wrapped_call_impl"),
     ("families/overlay_depth/depth_model.py", "_forward"), 2),
    ("resize maps", ("families/overlay_depth/depth_model.py", "resize_depth"), None, 2),
    ("normalise maps", ("families/overlay_depth/depth_model.py", "normalise_depth"), None, 2),
    ("open WebDataset writer",
     ("formats/webdataset.py", "__init__"), None, 1),
    ("WebDataset writer: tar members", ("formats/webdataset.py", "write"), None, 1),
    ("Parquet writer: rows, tables, row groups", ("formats/parquet.py", "write"), None, 1),
    ("close shards: sha256/md5 of the files, stats", ("build/sequence.py", "finish"), None, 1),
    ("finalize: preview sheet, index, card (once per build)", ("build/finalize.py", "finalize_split"),
     None, 1),
]


def _matches(func: tuple[str, int, str], where: tuple[str, str]) -> bool:
    return func[2] == where[1] and where[0] in func[0]


def stage_rows(profile: Path, samples: int) -> list[tuple]:
    """Cumulative seconds of each STAGES row present in the profile (restricted to calls
    from ``caller`` when given), ms per sample, share of the whole build."""
    stats = pstats.Stats(str(profile))
    total = next((s[3] for f, s in stats.stats.items() if _matches(f, STAGES[0][1])), stats.total_tt)
    rows = []
    for title, callee, caller, indent in STAGES:
        seconds, found = 0.0, False
        for func, (_, _, _, cum, callers) in stats.stats.items():
            if not _matches(func, callee):
                continue
            if caller is None:
                seconds, found = seconds + cum, True
            else:
                for who, timing in callers.items():
                    if _matches(who, caller):
                        seconds, found = seconds + timing[3], True
        if found:
            rows.append(("&nbsp;&nbsp;" * indent + title, f"`{callee[0]}:{callee[1]}`",
                         f"{seconds:.2f}", f"{1000 * seconds / samples:.2f}",
                         f"{100 * seconds / total:.0f}%"))
    return rows


# --- the report -----------------------------------------------------------------------------
def fmt_runs(results: dict[str, dict], kinds: list[str], what: dict[str, str]) -> list[str]:
    rows = [(f"({kind})", what[kind], f"{r['pairs']:g}", r["samples"],
             f"{r['seconds']:.2f} ({', '.join(f'{s:.2f}' for s in r['all_seconds'])})",
             f"**{rate(r, 'pairs'):.2f}**", f"**{rate(r):.0f}**",
             f"{1000 * r['seconds'] / r['samples']:.2f}", f"{1000 * r['cpu_seconds'] / r['samples']:.2f}",
             f"{r['mb_written']:.1f}", f"{r['peak_rss_mib']:.0f}")
            for kind, r in ((k, results[k]) for k in kinds)]
    return md_table(("run", "what", "pairs:", "samples:", "seconds, best (runs):",
                     "pairs/s per core:", "samples/s per core:", "ms/sample:", "CPU ms/sample:",
                     "MB written:", "peak RSS MiB:"), rows)


def marginal(results: dict[str, dict], run: str, mode: str) -> dict:
    """Once-per-build seconds and seconds per further sample of ``run`` from its full and
    one-pair runs: a straight line through the two best runs, after taking out the time
    spent opening the WebDataset writer (an import that varies by +-0.5 s from run to run)."""
    full, one = results[f"{run}-{mode}"], results[f"{run}1-{mode}"]
    work = {id(r): r["seconds"] - r["wds_open_seconds"] for r in (full, one)}
    per_sample = (work[id(full)] - work[id(one)]) / (full["samples"] - one["samples"])
    return {"fixed": work[id(one)] - one["samples"] * per_sample + full["wds_open_seconds"],
            "open": full["wds_open_seconds"], "per_sample": per_sample}


PER_SAMPLE_STAGES = {"make samples: pixel work": "compositing", "overlay JPEG": "overlay JPEG",
                     "mask PNG (+ depth PNG)": "PNG encoding", "meta dict": "meta",
                     "WebDataset writer: tar members": "tar writer",
                     "Parquet writer: rows, tables, row groups": "Parquet writer",
                     "close shards: sha256/md5 of the files, stats": "file digests"}


def dominates(results: dict[str, dict], mode: str, floor: dict, profiles: dict | None) -> str:
    """What (a)'s time goes to, against (b), in numbers."""
    a, p, b = (results[f"{run}-{mode}"] for run in "apb")
    target, line = TARGETS[mode], marginal(results, "a", mode)
    ref_ms, a_ms = 1000 * b["seconds"] / b["samples"], 1000 * line["per_sample"]
    p_ms = 1000 * marginal(results, "p", mode)["per_sample"]
    ours, theirs = 1000 * floor[f"mattehub-{mode}"], 1000 * floor[f"reference-{mode}"]
    outputs = "overlay JPEG q95 and mask PNG" + (" and 16-bit depth PNG" if mode == "exact" else "")
    text = (f"What dominates. Once per build (a) spends {line['fixed']:.1f} s, "
            f"{line['open']:.1f} s of it opening the WebDataset writer; the once-per-build cost is "
            f"{100 * line['fixed'] / a['seconds']:.0f}% of (a)'s best time on "
            f"{a['samples']} samples. Per further sample (a) needs {a_ms:.2f} ms and (p) "
            f"{p_ms:.2f} ms (so the WebDataset copy costs {a_ms - p_ms:.2f} ms) against (b)'s "
            f"{ref_ms:.2f} ms. Encoding alone, on the same arrays and to memory (`floor_child`): "
            f"mattehub's outputs ({outputs}) {ours:.2f} ms a sample, the reference's (overlay and "
            f"mask JPEG q50{', depth PNG' if mode == 'exact' else ''}) {theirs:.2f} ms.")
    if ours * target > ref_ms:
        text += (f" So a build that did nothing but encode mattehub's outputs would still be "
                 f"below {target:g}x (b) ({times(ref_ms / ours)} at most): the target is out of "
                 f"reach with these outputs ({outputs}), whatever the code around the encoders "
                 "does.")
    if profiles:
        stages = stage_seconds(profiles[f"a-{mode}"], a["samples"])
        per = sorted(((stages.get(name, 0.0), label) for name, label in PER_SAMPLE_STAGES.items()),
                     reverse=True)
        text += (" Per-sample stages of (a) under cProfile (ms/sample, profiled): " + ", ".join(
            f"{label} {1000 * sec / a['samples']:.2f}" for sec, label in per) + ".")
    return text


def mode_section(results: dict[str, dict], mode: str, plan: Plan, profiles: dict | None,
                 floor: dict) -> list[str]:
    """The table, ratios, once-per-build split and verdict of one ``--depth`` mode."""
    target, what = TARGETS[mode], {k: w for k, (_, _, w) in RUNS.items()}
    a, p, b = (f"{run}-{mode}" for run in "apb")
    ab = rate(results[a]) / rate(results[b])
    lines = [*fmt_runs(results, [a, p, b, f"a1-{mode}", f"p1-{mode}"], what), "",
             *ratio_table(results, ((a, b), (p, b)), target), ""]
    rows, ref_ms = [], 1000 * results[b]["seconds"] / results[b]["samples"]
    for run in ("a", "p"):
        m = marginal(results, run, mode)
        rows.append((f"({run}-{mode})", f"{m['fixed']:.2f}", f"{m['open']:.2f}",
                     f"{1000 * m['per_sample']:.2f}",
                     f"{1 / m['per_sample']:.0f}", f"{ref_ms:.2f}",
                     f"**{times(ref_ms / (1000 * m['per_sample']))}**",
                     f"{UPSTREAM['pairs_samples'] * m['per_sample'] / 60:.0f}"))
    lines += ["A straight line through each mattehub run's best times on one pair and on "
              f"{plan.pairs} pairs splits it into a once-per-build cost and a cost per further "
              "sample (what a 400k-sample build pays almost entirely); the time spent opening the "
              "WebDataset writer (measured in the child around `WebDatasetShardWriter.__init__`; "
              "it imported torch before mattehub wrote tars with `tarfile`) is taken out of both runs before the line is "
              "drawn and counted as once per build:", "",
              *md_table(("run", "once per build, s:", "of which opening the tar writer, s:",
                         "ms per further sample:",
                         "samples/s per core, further samples:", "(b) ms/sample:",
                         "ratio to (b), further samples:", "400k samples, min on one core:"), rows), ""]
    line = {run: marginal(results, run, mode) for run in "ap"}
    verdict = (f"**The {target:g}x target (`--depth {mode}`) is {'met' if ab >= target else 'missed'}**: "
               f"(a) makes {times(ab)} (b)'s samples per second, (p) "
               f"{times(rate(results[p]) / rate(results[b]))}; per further sample (the cost that "
               f"a large build pays) (a) is at {times(ref_ms / (1000 * line['a']['per_sample']))} "
               f"and (p) at {times(ref_ms / (1000 * line['p']['per_sample']))}.")
    return lines + [verdict, "", dominates(results, mode, floor, profiles)]


def stage_seconds(profile: Path, samples: int) -> dict[str, float]:
    """STAGES titles (unindented) -> profiled cumulative seconds."""
    return {row[0].replace("&nbsp;", ""): float(row[2]) for row in stage_rows(profile, samples)}


ONCE = ("scan sources (once per build)", "open WebDataset writer",
        "finalize: preview sheet, index, card (once per build)")
PER_SAMPLE = {"image processor": "image processor", "model forward": "forward pass",
              "resize maps": "resize maps", "normalise maps": "normalise maps",
              "make samples: pixel work": "compositing", "encode outputs": "encoding",
              "WebDataset writer: tar members": "tar writer",
              "Parquet writer: rows, tables, row groups": "Parquet writer"}


def model_section(runs: dict, results: dict[str, dict], plan: Plan, profiles: dict | None) -> list[str]:
    m, m1, forward = runs["m"], runs["m1"], runs["forward"]
    per_sample = (m["seconds"] - m1["seconds"]) / (m["samples"] - m1["samples"])
    fixed = m1["seconds"] - m1["samples"] * per_sample
    none = marginal(results, "a", "none")
    per_image = forward["seconds"] / forward["images"]
    upstream_rate = UPSTREAM["pairs_samples"] / (UPSTREAM["depth_h"] * 3600)
    rows = [(f"({kind})", MODEL_RUNS[kind][2], r["samples"],
             f"{r['seconds']:.2f} ({', '.join(f'{s:.2f}' for s in r['all_seconds'])})",
             f"**{rate(r):.0f}**", f"{1000 * r['seconds'] / r['samples']:.2f}", f"{r['peak_rss_mib']:.0f}")
            for kind, r in (("m", m), ("m1", m1))]
    lines = [f"`--depth <folder>` with `tests/tiny_depth.py`'s random DPT (4 layers, 32 wide; its "
             f"processor resizes every overlay to 32x32), `--device cpu --depth-batch "
             f"{plan.model_batch}`, best of {len(m['all_seconds'])}; the forward pass runs on one "
             "torch thread (`depth_model.CPU_THREADS`).", "",
             *md_table(("run", "what", "samples:", "seconds, best (runs):", "samples/s per core:",
                        "ms/sample:", "peak RSS MiB:"), rows), "",
             f"Split as above: **{fixed:.1f} s once per build** (mostly importing transformers and "
             f"loading the model) and **{1000 * per_sample:.2f} ms per further sample** "
             f"({1 / per_sample:.0f} samples/s per core), against {1000 * none['per_sample']:.2f} ms "
             "with `--depth none` (a-none)."]
    if profiles:
        st = stage_seconds(profiles["m"], m["samples"])
        once = sum(st.get(name, 0.0) for name in ONCE)
        per = st["whole build"] - once
        parts = ", ".join(f"{label} {1000 * st.get(name, 0.0) / m['samples']:.2f} ms "
                          f"({100 * st.get(name, 0.0) / per:.0f}%)" for name, label in PER_SAMPLE.items())
        lines += ["", f"Where (m)'s time goes (cProfile, profiled times): {once:.1f} s once per build "
                  f"(of which loading the model {st.get('load the depth model', 0.0):.1f} s), then per "
                  f"sample: {parts}; shares of the per-sample part."]
    lines += ["", f"For scale, the forward pass alone of a ViT-B/16 DPT at 384x384 (random weights, "
              f"{forward['params_m']:.0f} M parameters, the size of the MiDaS v3 / DPT base "
              f"models; batch {forward['images']}, one thread): **{per_image:.2f} s per image**, "
              f"~{per_image / per_sample:.0f}x the tiny model's whole per-sample cost. With a real "
              "model the forward pass is everything: 400k overlays would take "
              f"~{UPSTREAM['pairs_samples'] * per_image / 86400:.0f} core-days on this CPU, against "
              f"upstream's {UPSTREAM['depth_h']} h on a GPU (batch {UPSTREAM['depth_batch']}, "
              f"~{upstream_rate:.0f} overlays/s). Use `--device cuda`: the forward pass goes to "
              "the GPU, while compositing and encoding stay on the CPU at "
              f"~{1 / none['per_sample']:.0f} samples/s per core, far above {upstream_rate:.0f}/s."]
    return lines


def report(results: dict, runs: dict, plan: Plan, head: list[str], profiles: dict | None,
           work: Path) -> str:
    """The markdown section for docs/benchmarks.md (also printed); ``head``: measured_lines;
    ``work``: the folder the sources were generated in."""
    upstream_rate = UPSTREAM["pairs_samples"] / (UPSTREAM["overlay_min"] * 60)
    best = {mode: marginal(results, "a", mode) for mode in MODES}
    lines = [MARKS[0], "## overlay-depth: synthesis throughput per core, and depth models", "",
             *head,
             f"- Sources in `{work}` (generated by the benchmark): {plan.backgrounds} textured "
             f"rooms of {BG_PIXELS[0]}x{BG_PIXELS[1]} (JPEG q90) with 16-bit depth maps in mm "
             f"(wall, floor, smooth bumps, a few mm of noise), {plan.foregrounds} RGBA figures of "
             f"{FG_HEIGHT // 2}x{FG_HEIGHT} with soft alpha edges (odd-numbered ones with a "
             f"`mask_<stem>.jpg`, q50, the others use their alpha): {plan.pairs} pairs, "
             f"{plan.pairs * PER_PAIR} samples; canvas 224, scales 1.0,0.8,0.6,0.4, 5 positions, "
             "flips (mattehub's defaults, the original's recipe)",
             "- (A), (A50), (B): whole processes, below. Every other run is a fresh process "
             "pinned to one CPU timing the work only: for mattehub, `mattehub.cli.main.main("
             "[\"build\", \"overlay-depth\", ..., \"--workers\", \"1\"])` in the child "
             "after `from mattehub import cli` (that import, "
             f"{results['a-none']['import_seconds']:.1f} s, is not counted); best of "
             f"{plan.repeats} interleaved runs, every run listed. Outputs on tmpfs.", "",
             "Not the same outputs, by design: (b) writes what the original dataset holds, "
             "overlay and mask as JPEG q50 (the masks therefore not binary), one bg JPEG q60 per "
             "background, depth (exact) as a 16-bit PNG with OpenCV's default settings, and "
             "`label_data.csv`; (a) writes per sample the overlay as JPEG q95 (the default "
             "`--jpeg-quality`), the mask as a lossless 0/255 PNG, depth (exact) as a 16-bit PNG, "
             "the 224x224 background's bytes and a meta struct, into both a Parquet and a "
             "WebDataset shard, and once per build shard stats with sha256/md5, a preview sheet "
             "and the card. (b) resizes with Pillow's default (bicubic) filter and pastes with "
             "Pillow; (a) resizes colour premultiplied by alpha and the mask by nearest "
             "neighbour, and composites in float32. (b) draws positions from its own generator "
             "(positions do not change the cost).", ""]
    lines += ["### Whole process, `--depth none`: (A) mattehub against (B) the notebooks' way", "",
              f"Each a fresh `python benchmarks/measured_main.py` pinned to one CPU calling "
              "`mattehub.cli.main.main([\"build\", \"overlay-depth\", ...])` (as the `mattehub` "
              "command does) or `reference_overlay.run_reference(...)`, timed from outside: "
              "interpreter start and imports included; CPU: the process's and any it reaped "
              f"(`RUSAGE_CHILDREN`); best of {plan.repeats} interleaved runs.", "",
              *whole_section(results, {k: RUNS[k][2] for k in WHOLE},
                             (("A-none", "B-none"), ("A50-none", "B-none")), TARGETS["none"]), "",
              f"**The {TARGETS['none']:g}x whole-process target is "
              f"{'met' if rate(results['A-none']) >= TARGETS['none'] * rate(results['B-none']) else 'missed'}"
              f"**: (A) makes {times(rate(results['A-none']) / rate(results['B-none']))} (B)'s "
              f"samples per second, (A50) {times(rate(results['A50-none']) / rate(results['B-none']))}.", ""]
    for mode in MODES:
        lines += [f"### `--depth {mode}`: (a) mattehub against (b) the notebooks' way", "",
                  *mode_section(results, mode, plan, profiles, runs["floor"]), ""]
    lines += ["### Scale", "",
              f"Upstream made {UPSTREAM['pairs_samples']:,} overlay+mask pairs in "
              f"{UPSTREAM['overlay_min']} min (~{upstream_rate:.0f}/s, hardware not stated). "
              f"mattehub's cost per further sample above gives "
              f"~{UPSTREAM['pairs_samples'] * best['none']['per_sample'] / 60:.0f} min on one core "
              f"with `--depth none` and ~{UPSTREAM['pairs_samples'] * best['exact']['per_sample'] / 60:.0f} "
              "min with `--depth exact` (both formats), divided by `--workers` on more cores.", "",
              "### `--depth MODEL`", "", *model_section(runs, results, plan, profiles)]
    if profiles:
        for kind, title in (("a-none", "(a-none)"), ("a-exact", "(a-exact)"), ("m", "(m)")):
            samples = results[kind]["samples"] if kind in results else runs["m"]["samples"]
            lines += ["", f"### {title} by stage (cProfile, cumulative time)", "",
                      "Indented rows are part of the row above; a row is left out when the run "
                      "never calls it; share: of the whole build, profiled (profiling adds "
                      "overhead).", "",
                      *md_table(("stage", "function", "cum s:", "ms/sample:", "share:"),
                                stage_rows(profiles[kind], samples))]
        for kind in ("a-none", "a-exact", "b-none", "b-exact"):
            top = top_functions(profiles[kind], 8)
            lines += ["", f"### cProfile of ({kind}), top functions by own time", "",
                      f"{top['total_s']:.2f} s profiled (share: of that total):", "",
                      *functions_table(top)]
    return "\n".join(lines + [MARKS[1]]) + "\n"

