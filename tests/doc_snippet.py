"""Running a docs/training.md snippet the way a reader would, on a test's shard folder."""
from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "training.md"


def run_snippet(test_file: str, out: Path) -> dict:
    """Execute the snippet marked ``<!-- runs in tests/<test_file> -->`` with its one line
    ``OUT = "shards"`` pointed at ``out``; returns the snippet's global names."""
    code = re.search(rf"<!-- runs in tests/{re.escape(test_file)} -->\s*```python\n(.*?)```",
                     DOC.read_text(), re.S).group(1)
    assert re.search(r'^OUT = "shards"', code, re.M)  # the only line the test changes
    scope: dict = {}
    exec(compile(re.sub(r'^OUT = "shards".*$', f"OUT = {str(out)!r}", code, flags=re.M),
                 str(DOC), "exec"), scope)
    return scope
