"""``bench_foreground.py``'s report: the speed and quality tables of its docs/benchmarks.md
section ("Foreground re-estimation")."""
from __future__ import annotations

from common import md_table, times
from foreground_cases import METHODS, NEW_BACKGROUNDS, SPEED_CASES, TARGET
from foreground_children import CONVERGED, QUALITY_METHODS


def speed_section(results: dict, cold: dict | None, shares: dict, repeats: int) -> list[str]:
    rows = []
    for case in SPEED_CASES:
        for method in METHODS:
            r = results[f"{case}-{method}"]
            first = r["first_call_seconds"] + r["pymatting_import_seconds"]
            rows.append((f"`{case}`", f"`{method}`",
                         f"**{r['seconds']:.2f}** ({', '.join(f'{s:.2f}' for s in r['all_seconds'])})",
                         f"{r['cpu_seconds']:.2f}", f"{first:.2f}", f"{r['peak_rss_mib']:.0f}"))
    ratio_rows = []
    for case in SPEED_CASES:
        lsa, ml = results[f"{case}-lsa"], results[f"{case}-ml"]
        best = lsa["seconds"] / ml["seconds"]
        per_round = [a / b for a, b in zip(lsa["all_seconds"], ml["all_seconds"])]
        met = "yes" if best <= TARGET else "**no**"
        if min(per_round) <= TARGET < max(per_round):
            met += " (borderline: the per-run range crosses it)"
        ratio_rows.append((f"`{case}`", f"{100 * shares[case]['opaque']:.0f}%",
                           f"{100 * shares[case]['clear']:.0f}%", f"**{times(best)}**",
                           f"{times(min(per_round))} - {times(max(per_round))}", met))
    hair = results["hair-lsa"]["seconds"] / results["hair-ml"]["seconds"]
    ml = results["hair-ml"]
    return [
        f"Each run is a fresh process pinned to one CPU: it imports mattehub "
        f"({results['hair-lsa']['import_seconds']:.1f} s, not counted), makes a first call "
        "(shown apart; for `ml` together with importing pymatting, which loads numba and "
        "pymatting's compiled code from numba's cache), then times a second call on the same "
        f"input; best of {repeats} interleaved runs, every run listed.", "",
        *md_table(("composite", "method", "seconds, best (runs):", "CPU s:",
                   "first call incl. pymatting import, s:", "peak RSS MiB:"), rows), "",
        *md_table(("composite", "opaque pixels:", "alpha = 0:", "lsa / ml time (target <= 3x):",
                   "per-run range:", "met"), ratio_rows), "",
        f"**The target (`lsa` within {TARGET:g}x of `ml`) is {'met' if hair <= TARGET else 'missed'}** "
        f"on the realistic composite: `lsa` takes {times(hair)} `ml`'s time. `ml`'s one-off "
        f"costs: importing pymatting {ml['pymatting_import_seconds']:.1f} s and a first call of "
        f"{ml['first_call_seconds']:.2f} s with numba's cache warm (pymatting's kernels are "
        "compiled with `cache=True` on their first import, then loaded from the cache); "
        + (f"with an empty cache (`NUMBA_CACHE_DIR`, as after a fresh install) the import compiles "
           f"them: {cold['pymatting_import_seconds']:.1f} s, then a first call of "
           f"{cold['first_call_seconds']:.2f} s. " if cold else "(the empty-cache run was skipped). ")
        + "`lsa` needs no compilation (its first call: "
        f"{results['hair-lsa']['first_call_seconds']:.2f} s). In a build, a foreground is "
        "re-estimated once per worker for all its `--num-bgs` samples, so either method costs "
        "a fraction of a second per 100 samples at AIM's sizes."]


FG_COLUMNS = ("fg_mae", "fg_mse", "comp_mae", "comp_mae_unknown", "comp_mse_unknown")
WEIGHT = {"fg_mae": "some", "fg_mse": "some", "comp_mae": "pixels", "comp_mae_unknown": "unknown",
          "comp_mse_unknown": "unknown"}
"""The pixel count each column is a mean over (for the pooled rows)."""
LABELS = {"raw": "raw fg", "lsa": "`lsa`", "ml": "`ml`",
          "lsa-converged": f"`lsa`, {CONVERGED}x iterations (diagnostic)"}


def quality_section(result: dict) -> list[str]:
    cases = result["cases"]
    rows, pooled = [], {m: dict.fromkeys(FG_COLUMNS, 0.0) for m in QUALITY_METHODS}
    totals = {key: sum(case[key] for case in cases.values()) for key in ("some", "pixels", "unknown")}
    for name, case in cases.items():
        for method, m in case["methods"].items():
            rows.append((f"`{name}`", LABELS[method], *(f"{m[c]:.2f}" for c in FG_COLUMNS),
                         f"{m['seconds']:.2f}"))
            for c in FG_COLUMNS:
                pooled[method][c] += m[c] * case[WEIGHT[c]] / totals[WEIGHT[c]]
    rows += [("**all** (pixel-weighted)", LABELS[method], *(f"**{acc[c]:.2f}**" for c in FG_COLUMNS), "")
             for method, acc in pooled.items()]
    described = [f"`{name}`: {100 * case['unknown'] / case['pixels']:.0f}% unknown, "
                 f"{100 * case['opaque'] / case['pixels']:.0f}% opaque" for name, case in cases.items()]
    raw, lsa, ml, conv = (pooled[m] for m in QUALITY_METHODS)
    unk, fg = "comp_mae_unknown", "fg_mae"
    better = [name for name, case in cases.items()
              if case["methods"]["lsa"][unk] < case["methods"]["raw"][unk]]
    worse = [name for name in cases if name not in better]
    return [
        "Composites with a known foreground, made like AIM's training foregrounds by "
        "`make_case`: a true foreground F (smooth colour fields with fine texture, a second "
        "colour for hair / fur tips / glass / thread, defined everywhere), a soft alpha (hair "
        "strands, a fur band, translucent glass, a net of threads), and the raw foreground "
        "`raw = a*F + (1-a)*B0` (rounded) that a photo over a backdrop B0 gives: a studio "
        "backdrop (saturated, lit with a gradient, folds in its lower half), or for the "
        "`-scene` case a cluttered COCO-like scene; each method re-estimates F from `raw` and "
        f"alpha. Recomposition over {NEW_BACKGROUNDS} new COCO-like backgrounds B per "
        "composite, both sides rounded to uint8 as a build stores them (mattehub's "
        "`composite`): the difference is `a*(F_est - F)` up to rounding, so B matters only "
        "through rounding. Cases (`<kind>-<W>x<H>`): " + "; ".join(described) + ".", "",
        "Columns: F error against the truth over alpha > 0 (mean abs, MSE); recomposition "
        "error mean abs over the whole image and over the unknown region (0 < alpha < 1), and "
        "its MSE over the unknown region; all in 0..255 units, averaged over channels (and "
        "backgrounds). Seconds: the call, in a process pinned to one CPU (informative). The "
        f"diagnostic row runs `lsa` with {CONVERGED}x the iterations at every scale (the module "
        "constant `LSA_ITERATIONS` raised), close to the minimum of the same energy: it tells "
        "the solver's schedule from the energy itself.", "",
        *md_table(("composite", "foreground", "F MAE:", "F MSE:", "recomp. MAE, image:",
                   "recomp. MAE, unknown:", "recomp. MSE, unknown:", "seconds:"), rows), "",
        f"Over all composites, the recomposition error in the unknown region goes from "
        f"{raw[unk]:.2f} (raw foreground) to {lsa[unk]:.2f} with `lsa` "
        f"({_change(lsa[unk], raw[unk])}), {conv[unk]:.2f} with the converged `lsa` "
        f"({_change(conv[unk], raw[unk])}) and {ml[unk]:.2f} with `ml` "
        f"({_change(ml[unk], raw[unk])}); the foreground's own error (alpha > 0) from "
        f"{raw[fg]:.2f} to {lsa[fg]:.2f} (`lsa`), {conv[fg]:.2f} (converged `lsa`) and "
        f"{ml[fg]:.2f} (`ml`). `lsa` lowers the unknown-region recomposition error against the "
        f"raw foreground on {len(better)} of {len(cases)} composites"
        + (f" and raises it on {', '.join(f'`{n}`' for n in worse)}" if worse else "") + ". "
        "The energy has no background term: it keeps F close to the raw (contaminated) "
        "colour wherever alpha is high enough for the data term to matter and fills in from "
        "neighbours elsewhere, so it cleans pixels next to opaque ones and little else (thin "
        "strands, translucent glass), while `ml` solves `I = a*F + (1-a)*B` for F and B together."]


def _change(value: float, reference: float) -> str:
    """``12% lower`` / ``5% higher`` than ``reference``."""
    change = 100 * (1 - value / reference)
    if abs(change) < 0.5:
        return "unchanged"
    return f"{abs(change):.0f}% {'lower' if change >= 0 else 'higher'}"

