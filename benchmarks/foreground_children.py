"""``bench_foreground.py``'s workloads, each run in a fresh process (``--child``): the speed
of one ``estimate_foreground`` call, and the quality of every method on every case."""
from __future__ import annotations

import time
from pathlib import Path

from common import check_snapshot, child_result


def child_main(spec: dict) -> None:
    start = time.perf_counter()
    check_snapshot(Path(spec["code"]))  # imports mattehub
    import numpy as np

    from mattehub.synthesis.foreground import estimate_foreground

    imports = time.perf_counter() - start
    if spec["kind"] == "speed":
        case = np.load(spec["case"])
        raw, alpha, method = case["raw"], case["alpha"], spec["method"]
        pymatting_import = 0.0
        if method == "ml":
            t = time.perf_counter()
            import pymatting  # noqa: F401  (numba, and pymatting's compiled code, from its cache)
            pymatting_import = time.perf_counter() - t
        t = time.perf_counter()
        estimate_foreground(raw, alpha, method)
        first = time.perf_counter() - t
        wall, cpu = time.perf_counter(), time.process_time()
        estimate_foreground(raw, alpha, method)
        return child_result({"seconds": time.perf_counter() - wall,
                             "cpu_seconds": time.process_time() - cpu, "first_call_seconds": first,
                             "pymatting_import_seconds": pymatting_import,
                             "import_seconds": imports})
    if spec["kind"] == "quality":
        return child_result(quality(spec["cases"], estimate_foreground))
    raise SystemExit(f"unknown child kind {spec['kind']}")


CONVERGED = 16
"""The diagnostic ``lsa`` run uses CONVERGED x ``LSA_ITERATIONS`` iterations per scale: close
to the minimum of the same energy (the paper's schedule stops well before it)."""
QUALITY_METHODS = ("raw", "lsa", "ml", "lsa-converged")


def quality(paths: list[str], estimate) -> dict:
    """Per case and method (QUALITY_METHODS): foreground and recomposition errors, and the time."""
    import numpy as np

    from mattehub.synthesis import foreground
    from mattehub.families.aim.compose import composite

    def run(method: str, raw, alpha):
        if method == "raw":
            return raw
        if method != "lsa-converged":
            return estimate(raw, alpha, method)
        iterations = foreground.LSA_ITERATIONS
        foreground.LSA_ITERATIONS = iterations * CONVERGED  # read at each call
        try:
            return estimate(raw, alpha, "lsa")
        finally:
            foreground.LSA_ITERATIONS = iterations

    results = {}
    for path in paths:
        case = np.load(path)
        F, raw, alpha, bgs = case["F"], case["raw"], case["alpha"], case["B"]
        some, unknown = alpha > 0, (alpha > 0) & (alpha < 255)
        truth = [composite(F, bg, alpha).astype(np.float64) for bg in bgs]
        rows = {}
        for method in QUALITY_METHODS:
            t = time.perf_counter()
            est = run(method, raw, alpha)
            seconds = time.perf_counter() - t
            diff = est.astype(np.float64) - F
            recomposed = [np.abs(composite(est, bg, alpha) - t_) for bg, t_ in zip(bgs, truth)]
            rows[method] = {
                "fg_mae": float(np.abs(diff[some]).mean()), "fg_mse": float(np.square(diff[some]).mean()),
                "comp_mae": float(np.mean([r.mean() for r in recomposed])),
                "comp_mae_unknown": float(np.mean([r[unknown].mean() for r in recomposed])),
                "comp_mse_unknown": float(np.mean([np.square(r[unknown]).mean() for r in recomposed])),
                "seconds": seconds}
        results[Path(path).stem] = {"methods": rows, "pixels": int(alpha.size), "some": int(some.sum()),
                                    "unknown": int(unknown.sum()), "opaque": int((alpha == 255).sum())}
    return {"cases": results}

