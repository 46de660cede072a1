"""Atomic JSON files: written to a temp name, then renamed, so a reader never sees half."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON (key order kept) atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:  # no temp file left behind (a full disk, ``path`` a folder...)
        tmp.unlink(missing_ok=True)
        raise


def read_json(path: Path) -> Any:
    """Read a JSON file, or None when it does not exist or is unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
