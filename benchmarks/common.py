"""What the benchmarks share: code snapshots, machine facts, profile labels, docs sections."""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
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
