"""What the benchmarks share: code snapshots, machine facts, profile labels, docs sections;
for workloads run as ``script --child <JSON>``: the child runs, timing, best-of rounds, profile
summaries, markdown tables and cached sources."""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import itertools
import json
import math
import os
import platform
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOCS = HERE.parent / "docs" / "benchmarks.md"
# Where pyproject's package-dir puts each source folder in the installed package.
PACKAGE_DIRS = {"mattehub": "mattehub", "builders": "mattehub/builders",
                "dataset_cards": "mattehub/dataset_cards"}


def git_state() -> str:
    """Short commit of the repository, flagged when the package has uncommitted changes."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=HERE.parent, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", *PACKAGE_DIRS)
    return commit + (" + uncommitted changes" if dirty else "")


def snapshot_code(code: Path) -> str:
    """Copy the package as it is now to ``code``; returns the commit it matches.

    Children import mattehub from this copy, so commits made while a benchmark runs do not
    leak into it and every number belongs to one recorded version.
    """
    for _ in range(3):
        before = git_state()
        shutil.rmtree(code, ignore_errors=True)
        for source, target in PACKAGE_DIRS.items():
            shutil.copytree(HERE.parent / source, code / target, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
        if git_state() == before:
            return before
    raise SystemExit("the repository keeps changing; cannot take a consistent snapshot")


def export_commit(rev: str, code: Path) -> str:
    """The package as of git commit ``rev`` in ``code`` (``git archive``, read-only)."""
    shutil.rmtree(code, ignore_errors=True)
    code.mkdir(parents=True)
    short = subprocess.run(["git", "rev-parse", "--short", rev], cwd=HERE.parent, check=True,
                           capture_output=True, text=True).stdout.strip()
    archive = subprocess.run(["git", "archive", "--format=tar", rev, *PACKAGE_DIRS],
                             cwd=HERE.parent, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
    for source, target in PACKAGE_DIRS.items():
        if source != target:
            shutil.move(str(code / source), str(code / target))
    return short


def check_snapshot(code: Path) -> None:
    """In a child: fail unless mattehub was imported from the snapshot in ``code``."""
    import mattehub

    if not Path(mattehub.__file__).resolve().is_relative_to(code.resolve()):
        raise SystemExit(f"mattehub imported from {mattehub.__file__}, not from {code}")


def label(func: tuple[str, int, str]) -> str:
    """``path:line(name)`` of a cProfile entry, shortened to the package-relative path."""
    filename, line, name = func
    if filename == "~":
        return name
    parts = Path(filename).parts
    for anchor in ("mattehub", "site-packages"):
        if anchor in parts:
            start = parts.index(anchor) + (anchor == "site-packages")
            return f"{'/'.join(parts[start:])}:{line}({name})"
    return f"{Path(filename).name}:{line}({name})"


def machine(packages: tuple[str, ...]) -> dict:
    """nproc, CPU model, memory, OS, Python and the versions of ``packages``."""
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((l.split(":", 1)[1].strip() for l in cpuinfo if l.startswith("model name")), "?")
    meminfo = Path("/proc/meminfo").read_text().split()
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": model,
            "mem_gib": int(meminfo[meminfo.index("MemTotal:") + 1]) / 2**20,
            "os": platform.platform(), "python": platform.python_version(), "versions": versions}


def publish(section: str, marks: tuple[str, str], args) -> None:
    """Print a benchmark's section and, for a full run (or ``--docs``), write it into
    docs/benchmarks.md between ``marks``."""
    print("\n" + section)
    if args.docs if args.docs is not None else not args.quick:
        write_docs(section, marks)
        print(f"written to {DOCS}")


def write_docs(section: str, marks: tuple[str, str], path: Path = DOCS) -> None:
    """Replace the section between ``marks`` in ``path`` (append it, or create the file)."""
    start, end = marks
    text = path.read_text() if path.exists() else "# Benchmarks\n\nNumbers from `benchmarks/`.\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + section.rstrip("\n") + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def benchmark_parser(doc: str, unit: str, full, quick, profile_help: str, epilog: str,
                     internal: tuple[str, ...]) -> argparse.ArgumentParser:
    """The options every benchmark takes; ``unit`` ("samples", "clips") names the counts and
    ``full``/``quick`` are the plans whose fields give the defaults shown in ``--help``."""
    counts = lambda plan: ",".join(map(str, plan.rss_counts))  # noqa: E731
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0], epilog=epilog,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="a small smoke run; prints only, unless --docs")
    parser.add_argument(f"--{unit}", type=int, help=f"{unit} per throughput run (default "
                        f"{getattr(full, unit)}, quick {getattr(quick, unit)})")
    parser.add_argument("--repeats", type=int, help="runs per workload, best is kept "
                                                    f"(default {full.repeats}, quick 1)")
    parser.add_argument(f"--rss-{unit}", type=lambda s: tuple(int(x) for x in s.split(",")),
                        help=f"comma-separated {unit[:-1]} counts for the memory runs "
                             f"(default {counts(full)}; quick {counts(quick)})")
    parser.add_argument("--profile", action=argparse.BooleanOptionalAction, default=None,
                        help=profile_help)
    parser.add_argument("--docs", action=argparse.BooleanOptionalAction, default=None,
                        help=f"rewrite the section in {DOCS.relative_to(HERE.parent)} "
                             "(default: yes for a full run, no with --quick)")
    for name in internal:
        parser.add_argument(name, help=argparse.SUPPRESS)
    return parser


def child_benchmark_parser(doc: str, epilog: str, repeats: tuple[int, int], work: Path,
                           profile_help: str | None = None,
                           quick_help: str = "a small smoke run; prints only, unless --docs",
                           ) -> argparse.ArgumentParser:
    """The options of every benchmark whose workloads run as children: ``--quick``,
    ``--repeats`` (defaults: ``repeats`` = (full, quick)), ``--profile`` (when
    ``profile_help``), ``--docs``, ``--work`` (default ``work``) and the internal ``--child``.
    A benchmark adds its own options to the parser it gets."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0], epilog=epilog,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--repeats", type=int, help=f"runs per workload, best is kept (default "
                                                    f"{repeats[0]}, quick {repeats[1]})")
    if profile_help:
        parser.add_argument("--profile", action=argparse.BooleanOptionalAction, default=None,
                            help=profile_help)
    parser.add_argument("--docs", action=argparse.BooleanOptionalAction, default=None,
                        help=f"rewrite the section in {DOCS.relative_to(HERE.parent)} "
                             "(default: yes for a full run, no with --quick)")
    parser.add_argument("--work", type=Path, default=work,
                        help="scratch folder: sources, outputs, code snapshot (default %(default)s)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser


# --- helpers for a benchmark whose workloads run as ``script --child <JSON spec>`` ----------

def ran_as_child(args, child: Callable[[dict], None]) -> bool:
    """Run ``child(spec)`` when the benchmark was started as its own child (``--child SPEC``,
    a JSON spec); True when it was, so ``main`` returns at once."""
    if not getattr(args, "child", None):
        return False
    child(json.loads(args.child))
    return True


def child_env(code: Path, cpu: int | None) -> dict:
    """``subprocess`` arguments for a fresh Python that imports mattehub from the snapshot
    ``code`` (and the benchmarks from here), pinned to ``cpu`` unless None."""
    path = os.pathsep.join(filter(None, (str(code), str(HERE), os.environ.get("PYTHONPATH"))))
    pin = None if cpu is None else (lambda: os.sched_setaffinity(0, {cpu}))
    return {"preexec_fn": pin, "env": dict(os.environ, PYTHONPATH=path)}


def run_child(script: Path, code: Path, spec: dict, cpu: int | None = None) -> dict:
    """Run ``script --child <spec as JSON>`` in a fresh Python (``child_env``).

    Returns the JSON object the child printed last (``child_result``)."""
    done = subprocess.run([sys.executable, str(script), "--child", json.dumps(spec)],
                          stdout=subprocess.PIPE, text=True, **child_env(code, cpu))
    if done.returncode:
        raise SystemExit(f"benchmark child {spec} failed with exit code {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def whole_process(target: str, calls: Sequence[Sequence], code: Path,
                  cpu: int | None = None) -> dict:
    """``target`` (``module:function``) called with each of ``calls`` (argument lists), each in
    its own fresh interpreter (``measured_main.py``, ``child_env``), all started together;
    timed from outside, as a user feels it: interpreter start and imports included.

    Returns ``seconds`` (wall until the last one exits), ``tree_cpu_seconds`` (CPU of the
    processes and of every child they reaped, e.g. a build's workers: ``RUSAGE_CHILDREN``
    deltas around them), ``cpu_seconds`` (the processes' own CPU, from their report),
    ``helpers_cpu_seconds`` (the rest), ``peak_rss_mib`` (largest process's own),
    ``workers_peak_rss_mib`` (largest of their reaped children), ``inside_seconds`` (longest
    call, without start-up and imports), ``inside_cpu_seconds`` (the processes' own CPU in
    their calls), ``import_seconds`` and ``reports`` (one per call). Their stdout is dropped."""
    with tempfile.TemporaryDirectory() as scratch:
        outs = [Path(scratch) / f"{number}.json" for number in range(len(calls))]
        before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        procs = [subprocess.Popen([sys.executable, str(HERE / "measured_main.py"), str(out),
                                   target, json.dumps(list(args))], stdout=subprocess.DEVNULL,
                                  **child_env(code, cpu))
                 for out, args in zip(outs, calls)]
        codes = [proc.wait() for proc in procs]
        seconds, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
        if any(codes):
            raise SystemExit(f"{target} {calls} exited with {codes}")
        reports = [json.loads(out.read_text()) for out in outs]
    tree = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    own = sum(r["self"]["cpu_seconds"] for r in reports)
    return {"seconds": seconds, "tree_cpu_seconds": tree, "cpu_seconds": own,
            "helpers_cpu_seconds": tree - own,
            "peak_rss_mib": max(r["self"]["peak_rss_mib"] for r in reports),
            "workers_peak_rss_mib": max(r["children"]["peak_rss_mib"] for r in reports),
            "inside_seconds": max(r["call_seconds"] for r in reports),
            "inside_cpu_seconds": sum(r["call_cpu_seconds"] for r in reports),
            "import_seconds": max(r["import_seconds"] for r in reports), "reports": reports}


def child_result(result: dict) -> None:
    """In a child: print ``result`` and the process's peak RSS (MiB) as one JSON line."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(dict(result, peak_rss_mib=peak), default=str), flush=True)


def build_child_result(spec: dict, run: Callable[[dict], dict]) -> None:
    """In a child: ``run(spec)`` writing ``spec["out"]`` anew (an old output would be resumed),
    its result printed (``child_result``) with the MB it wrote, the output then removed."""
    out = Path(spec["out"])
    shutil.rmtree(out, ignore_errors=True)
    result = run(spec)
    result["mb_written"] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
    shutil.rmtree(out, ignore_errors=True)
    child_result(result)


def timed(run: Callable[[], dict], profile_out: str | None = None) -> dict:
    """``run()``'s result plus its wall and CPU seconds; under cProfile (stats written to
    ``profile_out``) when that is given."""
    profiler = cProfile.Profile() if profile_out else contextlib.nullcontext()
    with profiler:
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if profile_out:
        profiler.dump_stats(profile_out)
    return dict(result, seconds=wall, cpu_seconds=cpu)


def best_of(kinds: Iterable[str], repeats: int, run: Callable[[str], dict]) -> dict[str, dict]:
    """``run(kind)`` ``repeats`` times per kind, one round of every kind after another (so
    the drifts of a shared machine hit all kinds alike). Per kind: its fastest run, with the
    seconds of every run (``all_seconds``) and the largest peak RSS."""
    runs: dict[str, list[dict]] = defaultdict(list)
    for number, kind in itertools.product(range(1, repeats + 1), kinds):
        runs[kind].append(run(kind))
        print(f"  ({kind}) run {number}/{repeats}: {runs[kind][-1]['seconds']:.1f} s", flush=True)
    return {kind: dict(min(done, key=lambda r: r["seconds"]),
                       all_seconds=[r["seconds"] for r in done],
                       peak_rss_mib=max(r["peak_rss_mib"] for r in done))
            for kind, done in runs.items()}


def top_functions(profile: Path, top: int, sort: str = "tottime", within: str = "") -> dict:
    """The ``top`` functions of a cProfile dump by ``sort`` (``tottime``: own time, or
    ``cumulative``) among those whose ``label`` starts with ``within``; the total time."""
    stats = pstats.Stats(str(profile)).sort_stats(sort)
    rows = []
    for func in (f for f in stats.fcn_list if label(f).startswith(within)):
        _, calls, own, cum, _ = stats.stats[func]
        rows.append({"function": label(func), "calls": calls, "own_s": own, "cum_s": cum,
                     "share": (own if sort == "tottime" else cum) / stats.total_tt})
    return {"total_s": stats.total_tt, "rows": rows[:top]}


def functions_table(profile: dict) -> list[str]:
    """Markdown of ``top_functions``' rows; share: of the total profiled time."""
    return md_table(("function", "calls:", "own s:", "cum s:", "share:"),
                    [(f"`{r['function']}`", r["calls"], f"{r['own_s']:.2f}", f"{r['cum_s']:.2f}",
                      f"{100 * r['share']:.0f}%") for r in profile["rows"]])


def md_table(header: Sequence[str], rows: Iterable[Sequence]) -> list[str]:
    """Lines of a markdown table; a header ending in ":" is a right-aligned column."""
    names = [h.rstrip(":") for h in header]
    rules = ["---:" if h.endswith(":") else "---" for h in header]
    return ["| " + " | ".join(names) + " |", "|" + "|".join(rules) + "|",
            *("| " + " | ".join(map(str, row)) + " |" for row in rows)]


def rate(run: dict, unit: str = "samples") -> float:
    """``unit`` per second of a timed run."""
    return run[unit] / run["seconds"]


def runs_table(results: dict[str, dict], what: dict[str, str], unit: str = "samples") -> list[str]:
    """Markdown of ``best_of``'s results: best time (and every run's), rate, time and CPU time
    per item, peak RSS; ``what`` describes each kind."""
    one = unit[:-1]
    rows = [(f"({kind})", what[kind], r[unit],
             f"{r['seconds']:.1f} ({', '.join(f'{s:.1f}' for s in r['all_seconds'])})",
             f"**{rate(r, unit):.2f}**", f"{1000 * r['seconds'] / r[unit]:.0f}",
             f"{r['cpu_seconds'] / r[unit]:.3f}", f"{r['peak_rss_mib']:.0f}")
            for kind, r in results.items()]
    return md_table(("run", "what", f"{unit}:", "seconds, best (runs):", f"{unit}/s per core:",
                     f"ms/{one}:", f"CPU s/{one}:", "peak RSS MiB:"), rows)


def times(ratio: float) -> str:
    """A ratio as ``1.98x``, truncated (not rounded) to 2 decimals, so a ratio just under a
    target never reads as the target."""
    return f"{math.floor(ratio * 100) / 100:.2f}x"


def ratio_table(results: dict[str, dict], pairs: Iterable[tuple[str, str]], target: float,
                unit: str = "samples") -> list[str]:
    """Markdown: per (fast, slow) of ``pairs`` (same work in every run), the ratio of the best
    runs' rates, the range of the per-round ratios, and whether the ratio is >= ``target``
    (borderline when that range crosses it)."""
    rows = []
    for fast, slow in pairs:
        best = rate(results[fast], unit) / rate(results[slow], unit)
        per_round = [s / f for f, s in zip(results[fast]["all_seconds"], results[slow]["all_seconds"])]
        low, high = min(per_round), max(per_round)
        met = ("yes" if best >= target else "**no**") + (
            " (borderline: the per-run range crosses it)" if low < target <= high else "")
        rows.append((f"{fast}/{slow}", f"**{times(best)}**", f"{times(low)} - {times(high)}", met))
    return md_table((f"{unit}/s ratio (target >= {target:g}x)", "best runs:", "per-run range:",
                     "met"), rows)


def measured_lines(info: dict, command: str, elapsed: float, load: tuple[float, float]) -> list[str]:
    """Markdown: when, by which command and at which commit (``info`` is ``machine()`` plus
    ``commit``); the machine, the versions, the load average at the start and the end."""
    versions = ", ".join(f"{name} {version}" for name, version in info["versions"].items())
    return [f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by `{command}` (whole run "
            f"{elapsed / 60:.1f} min) at commit `{info['commit']}` (a copy of the package taken "
            "at the start).", "",
            f"- Machine: {info['cpu']}, nproc = {info['nproc']}, {info['mem_gib']:.0f} GiB RAM, "
            f"{info['os']}", f"- Python {info['python']}; {versions}",
            f"- Shared machine: 1-minute load average {load[0]:.1f} at the start, {load[1]:.1f} at "
            "the end (above 0 is other work on the same CPUs), hence best-of-N runs"]


def cached(root: Path, make: Callable[[Path], object]) -> Path:
    """``root``, made by ``make(root)`` unless a previous call completed it (so ``root``'s
    name must change with whatever ``make`` depends on)."""
    if not (root / ".complete").is_file():
        shutil.rmtree(root, ignore_errors=True)
        make(root)
        (root / ".complete").touch()
    return root


ARRAY_FIELDS = ("image", "alpha", "instance_alphas")
"""The i-him50k fields the stream benchmarks decode (``bench_release_stream``, ``bench_dataloader``)."""


def array_values(example: dict) -> int:
    """Decoded values of an ``as_arrays`` example's image, union alpha and instance mattes
    (numpy arrays or torch tensors): the check that every sample was really decoded."""
    return sum(math.prod(example[name].shape) for name in ARRAY_FIELDS)


def children_cpu_seconds() -> float:
    """CPU seconds of this process's reaped children (DataLoader workers, zip, unzip)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime
