"""Load one row of every split of every config of staged Hub repos with ``datasets`` alone.

``mattehub push`` runs this file as a script in a fresh interpreter (``python plain_load.py
REQUEST.json``), so nothing of mattehub is imported: what a Hub user without mattehub gets.
It imports only the standard library and ``datasets`` (never ``mattehub``: checked at the end)
and prints one JSON object: ``{"problems": [...], "loaded": [...]}``. The request is
``[{"root": staged repo folder, "label": repo id, "configs": {name: [split, ...]}}, ...]``.
"""
from __future__ import annotations

import json
import sys
import tempfile


def load_all(request: list[dict]) -> dict[str, list[str]]:
    """Try every (repo, config, split) of ``request``; problems and successes as text."""
    import datasets

    problems, loaded = [], []
    with tempfile.TemporaryDirectory(prefix="mattehub-plain-load-") as cache:
        for repo in request:
            for name, splits in sorted(repo["configs"].items()):
                try:
                    ds = datasets.load_dataset(repo["root"], name, streaming=True, cache_dir=cache)
                    for split in splits:
                        next(iter(ds[split]))
                    loaded.append(f"{repo['label']}: {name} loads ({', '.join(splits)})")
                except Exception as exc:  # noqa: BLE001 - every failure is reported
                    message = " ".join(str(exc).split())[:400]
                    problems.append(f"{repo['label']}: {name} does not load without mattehub: "
                                    f"{type(exc).__name__}: {message}")
    if any(module == "mattehub" or module.startswith("mattehub.") for module in sys.modules):
        problems.append("mattehub was imported while loading: the check is not valid")
    return {"problems": problems, "loaded": loaded}


def main(argv: list[str]) -> int:
    with open(argv[1], encoding="utf-8") as handle:
        request = json.load(handle)
    print(json.dumps(load_all(request)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
