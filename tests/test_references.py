"""Citations in the code point at files in the repository: ``docs/sources.md`` sections that
exist, never notes outside the repository or scratch files."""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / "_work"
"""Benchmark scratch (git-ignored): it may hold exported copies of older commits."""
CODE = [path for folder in ("mattehub", "builders", "scripts", "tests", "benchmarks")
        for path in sorted((REPO / folder).rglob("*.py")) if not path.is_relative_to(WORK)]
CITATION = re.compile(r"docs/sources\.md``?, [\"']([^\"']+)[\"']")


def _headings(doc: Path) -> set[str]:
    return {line[3:].strip() for line in doc.read_text(encoding="utf-8").splitlines()
            if line.startswith("## ")}


def test_source_citations_name_sections_of_docs_sources():
    sections = _headings(REPO / "docs" / "sources.md")
    cited = {(path.relative_to(REPO).as_posix(), title) for path in CODE
             for title in CITATION.findall(path.read_text(encoding="utf-8"))}
    assert cited, "no citation found: the pattern no longer matches the citation style"
    missing = sorted(f"{path}: {title!r}" for path, title in cited if title not in sections)
    assert not missing, missing


def test_no_citation_of_files_outside_the_repository():
    outside = re.compile(r"shared/notes|/tmp/\w+\.md|(?<![/\w])sources\.md section")
    found = [f"{path.relative_to(REPO)}:{number}" for path in CODE if path.name != "test_references.py"
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if outside.search(line)]
    assert not found, found
