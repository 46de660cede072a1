"""Benchmark of the ``overlay-depth`` synthesis build: pairs and samples per core, and depth models.

On sources generated once (textured 640x480 rooms with 16-bit depth maps in millimetres,
RGBA figures of max side 150, half of them with a ``mask_<stem>.jpg``) in
``/dev/shm/mattehub-bench-overlay`` (else the temp folder; or ``--work``):

1. whole process, as a user runs them (issue 20's target): (A) ``mattehub build
   overlay-depth --depth none --workers 1``, Parquet + WebDataset, (A50) the same with
   ``--jpeg-quality 50`` (the reference's quality), (B) ``reference_overlay.py``, each a
   fresh interpreter pinned to one CPU timed from outside (interpreter start and imports
   included, ``overlay_whole.py``); target (A) >= 2x (B) in samples/s;
2. pairs/s and samples/s per core, ``--depth none`` and ``--depth exact``, best of
   ``--repeats`` interleaved runs, each a fresh process pinned to one CPU timing the work only:
   (a) ``mattehub build overlay-depth`` (the CLI's ``main`` in the child, ``--workers 1``,
   Parquet + WebDataset), (p) the same, Parquet only, (b) ``reference_overlay.py`` (the
   original notebooks' way, Pillow + numpy, JPEG folders); targets (a) >= 2x (b). (a) and
   (p) also run on one pair, so the once-per-build cost and the cost per further sample can
   be told apart;
3. ``--depth MODEL`` with a tiny random DPT (``tests/tiny_depth.py``) on the CPU, and the
   forward pass alone of a ViT-B/16 DPT at 384x384 (random weights) for scale;
4. cProfile of (a), (b) and the model run: top functions by own time, (a) by stage.

    python benchmarks/bench_overlay.py            # full run, ~10 min on 2 cores; rewrites its
                                                  # section of docs/benchmarks.md
    python benchmarks/bench_overlay.py --quick    # ~1.5 min smoke run, prints only
    python benchmarks/bench_overlay.py --help     # --backgrounds, --foregrounds, --repeats ...
"""
from __future__ import annotations

import json
import os
import shlex
import sys
import time
from dataclasses import asdict
from pathlib import Path

from common import (best_of, child_benchmark_parser, machine, measured_lines, publish, run_child,
                    snapshot_code)
from overlay_children import child_main, cli_args
from overlay_report import report
from overlay_setup import (CONFIG, FULL, MARKS, MODEL_RUNS, MODES, PACKAGES, PER_PAIR, QUICK, RUNS,
                           SEED, WORK, Plan)
from overlay_sources import sources, tiny_model
from overlay_whole import CLI, REFERENCE, reference_args, whole_run


# --- the parent -----------------------------------------------------------------------------
def child(kind: str, src: Path, pinned: bool = True, **spec) -> dict:
    """Run one workload (``child_main``) in a fresh process, on our first CPU if ``pinned``."""
    spec = dict(kind=kind, code=str(WORK / "code"), src=str(src), out=str(WORK / "out")) | spec
    if spec.get("pairs"):
        spec.setdefault("samples", spec["pairs"] * PER_PAIR)
    cpu = min(os.sched_getaffinity(0)) if pinned else None
    if kind == "whole":  # in the parent: a whole process timed from outside
        out = Path(spec["out"])
        call = ((CLI, [cli_args(spec)]) if spec["side"] == "mattehub" else
                (REFERENCE, reference_args(src, out, spec["depth"], SEED)))
        return whole_run(*call, out, CONFIG, WORK / "code", cpu)
    return run_child(Path(__file__), WORK / "code", spec, cpu)


def throughput(src: Path, plan: Plan) -> dict[str, dict]:
    """Best-of interleaved runs of every RUNS kind; pairs per run added."""
    results = best_of(RUNS, plan.repeats, lambda kind: child(RUNS[kind][0], src, **RUNS[kind][1]))
    for kind, run in results.items():
        run["pairs"] = run["samples"] / PER_PAIR
    return results


def model_child_spec(kind: str, model: Path, plan: Plan) -> dict:
    """``child()`` arguments of a MODEL_RUNS kind."""
    spec = dict(MODEL_RUNS[kind][1], model=str(model), batch=plan.model_batch)
    spec["samples"] = plan.model_batch * spec.pop("batches", plan.model_samples // plan.model_batch)
    return spec


def model_runs(src: Path, model: Path, plan: Plan) -> dict:
    """The tiny-model builds (best of max(1, repeats - 1)) and the forward-only timing."""
    runs = best_of(MODEL_RUNS, max(1, plan.repeats - 1), lambda kind: child(
        MODEL_RUNS[kind][0], src, **model_child_spec(kind, model, plan)))
    runs["forward"] = child("forward", src, batch=plan.forward_batch)
    print(f"  forward only, ViT-B/16 DPT at 384: "
          f"{runs['forward']['seconds'] / runs['forward']['images']:.2f} s/image", flush=True)
    return runs


def floor_run(src: Path) -> dict:
    """``floor_child``: seconds per sample of encoding only, per side and mode."""
    floor = child("floor", src)
    print("  encoding only, ms/sample: " + ", ".join(
        f"{k} {1000 * v:.2f}" for k, v in floor.items() if k.endswith(MODES)), flush=True)
    return floor


def profile_runs(src: Path, model: Path, plan: Plan) -> dict[str, Path]:
    """(a) and (b) of both modes and the model run under cProfile."""
    done = {}
    for kind in ("a-none", "a-exact", "b-none", "b-exact"):
        name, spec, _ = RUNS[kind]
        done[kind] = WORK / f"{kind}.prof"
        child(name, src, profile=str(done[kind]), **spec)
    done["m"] = WORK / "m.prof"
    child(MODEL_RUNS["m"][0], src, profile=str(done["m"]), **model_child_spec("m", model, plan))
    print("  profiles written", flush=True)
    return done


# --- command line ---------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    """Measure, print, and (full run, or --docs) rewrite the section of docs/benchmarks.md."""
    global WORK
    parser = child_benchmark_parser(
        __doc__, "A full run takes ~4 min on 2 cores.", (FULL.repeats, QUICK.repeats), WORK,
        "cProfile (a), (b) and the model run (default: yes, not with --quick)")
    parser.add_argument("--backgrounds", type=int, help=f"backgrounds (default {FULL.backgrounds}, "
                                                        f"quick {QUICK.backgrounds})")
    parser.add_argument("--foregrounds", type=int, help=f"foregrounds (default {FULL.foregrounds}, "
                                                        f"quick {QUICK.foregrounds})")
    parser.add_argument("--model-samples", type=int, help="samples of the model run (default "
                                                          f"{FULL.model_samples}, quick {QUICK.model_samples})")
    args = parser.parse_args(argv)
    if args.child:
        return child_main(json.loads(args.child))
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # children: no processor warnings
    start, load, WORK, base = time.perf_counter(), os.getloadavg()[0], args.work.resolve(), (
        QUICK if args.quick else FULL)
    plan = Plan(args.backgrounds or base.backgrounds, args.foregrounds or base.foregrounds,
                args.repeats or base.repeats, args.model_samples or base.model_samples,
                base.model_batch, base.forward_batch)
    WORK.mkdir(parents=True, exist_ok=True)
    commit = snapshot_code(WORK / "code")
    print(f"measuring mattehub at {commit} (copied to {WORK / 'code'})", flush=True)
    sys.path.insert(0, str(WORK / "code"))
    src, model = sources(plan, WORK), tiny_model(WORK, Path(__file__))
    results = throughput(src, plan)
    runs = model_runs(src, model, plan)
    runs["floor"] = floor_run(src)
    profile = args.profile if args.profile is not None else not args.quick
    profiles = profile_runs(src, model, plan) if profile else None
    info = dict(machine(PACKAGES), commit=commit)
    command = shlex.join(["python", "benchmarks/bench_overlay.py",
                          *(sys.argv[1:] if argv is None else argv)])
    section = report(results, runs, plan, measured_lines(info, command, time.perf_counter() - start,
                                                         (load, os.getloadavg()[0])), profiles, WORK)
    (WORK / "results-overlay.json").write_text(json.dumps(dict(results=results, model=runs,
                                                               machine=info, plan=asdict(plan)),
                                                          indent=1, default=str))
    publish(section, MARKS, args)


if __name__ == "__main__":
    main()
