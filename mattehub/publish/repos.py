"""The Hub repos ``mattehub push`` writes: Parquet configs in ``REPO``, WebDataset in ``REPO-wds``.

The Hub reads only a repo's root card, and ``datasets`` picks one reader per repo from the
first config's files (``mattehub.output.layout``). So each format gets its own repo, whose
root ``README.md`` declares its configs (``configs:`` with ``data_files`` per split, and the
features): ``load_dataset("user/repo", CONFIG, streaming=True)`` and
``load_dataset("user/repo-wds", CONFIG + "-wds", streaming=True)`` then work in a process that
never imports mattehub. ``stage_repos`` writes both as folders holding exactly the files to
upload (hard-linked from the output folder where it can):

* ``REPO``: the output folder minus ``wds/``: Parquet shards, ``_stats/``, ``preview/``;
* ``REPO-wds``: ``wds/``'s tars and wids indexes at its root, plus ``_stats/`` (the split
  summaries its card's snippets read) and ``preview/`` (the sheets its card shows).

Each card is the output folder's card of that format rendered for the repo (``RepoLayout``:
the shard folders at the repo root, snippets naming the repo id), with a paragraph naming the
other repo and what the Hub's dataset viewer shows (``mattehub.publish.viewer``).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from mattehub.core.jsonio import read_json
from mattehub.publish import thumbnails
from mattehub.output.layout import CARD, PREVIEW_DIR, STATS_DIR, WDS_DIR, OutputLayout
from mattehub.publish.push import PushError, _link, _staging_parent, list_files

WDS_REPO_SUFFIX = "-wds"
FORMAT_NAMES = {"parquet": "Parquet", "webdataset": "WebDataset"}


class RepoLayout(OutputLayout):
    """A staged Hub repo of one format: its shard folders at the root (``card_root`` is the
    root for every format), so the card's ``data_files`` and links are relative to the root."""

    def card_root(self, fmt: str) -> Path:
        return self.root


@dataclass
class HubRepo:
    """One repo to upload: its id, format and staged folder."""

    repo_id: str
    fmt: str
    root: Path
    files: list[tuple[str, int]] = field(default_factory=list)
    """(path in the repo, size in bytes), sorted by path."""

    @property
    def label(self) -> str:
        return f"{self.repo_id} ({FORMAT_NAMES[self.fmt]} configs)"


def repo_ids(repo_id: str) -> dict[str, str]:
    """format -> repo id: the Parquet configs in ``repo_id``, the tars in ``repo_id-wds``."""
    return {"parquet": repo_id, "webdataset": repo_id + WDS_REPO_SUFFIX}


def _summaries(root: Path) -> list[dict]:
    return [s for s in map(read_json, OutputLayout(root).summaries()) if s]


def _repo_files(root: Path, fmt: str) -> dict[str, Path]:
    """path in the repo -> file of the (staged) output folder, for the repo of ``fmt``."""
    files = {}
    for rel, _ in list_files(root):
        top = rel.split("/", 1)[0]
        if fmt == "parquet" and top != WDS_DIR and rel != CARD:
            files[rel] = root / rel
        elif fmt == "webdataset" and top == WDS_DIR and rel != f"{WDS_DIR}/{CARD}":
            files[rel.split("/", 1)[1]] = root / rel
        elif fmt == "webdataset" and top in (STATS_DIR, PREVIEW_DIR):
            files[rel] = root / rel
    return files


def stage_repos(root: Path, repo_id: str, dest: Path, notes: dict[str, str] | None = None,
                clip_configs: list[str] = ()) -> list[HubRepo]:
    """Write the repo of each format ``root`` holds under ``dest/<repo id>`` (files linked
    from ``root``, cards rendered for the repo); ``notes``: per format, a paragraph each card
    adds (what the viewer shows); ``clip_configs`` get a ``<config>-preview`` config in the
    Parquet repo (``mattehub.publish.thumbnails``)."""
    from mattehub.output.card import render_card   # pulls datasets: as push.py's imports

    summaries, ids, repos = _summaries(root), repo_ids(repo_id), []
    for fmt, rid in ids.items():
        present = [dict(s, files={fmt: s["files"][fmt]}) for s in summaries if fmt in s["files"]]
        if not present:
            continue
        target = dest / rid
        if target.exists() and any(target.iterdir()):
            raise FileExistsError(f"{target}: not empty; stage into a new folder")
        for rel, path in _repo_files(root, fmt).items():
            _link(path, target / rel)
        layout = (OutputLayout if fmt == "parquet" else RepoLayout)(target, name=rid)
        card = render_card(layout, present, fmt)
        if fmt == "parquet":
            card = thumbnails.declare(card, thumbnails.write_previews(target, list(clip_configs)))
        others = [f"[`{other}`](https://huggingface.co/datasets/{other})" for f, other in ids.items()
                  if f != fmt and any(f in s["files"] for s in summaries)]
        intro = (f"This repo holds the {FORMAT_NAMES[fmt]} configs; load one with `datasets` "
                 f"alone: `load_dataset(\"{rid}\", CONFIG, streaming=True)`."
                 + (f" The same samples in the other format: {', '.join(others)}." if others else ""))
        (target / CARD).write_text(_with_paragraphs(card, [intro, (notes or {}).get(fmt, "")]),
                                   encoding="utf-8")
        repos.append(HubRepo(rid, fmt, target, list_files(target)))
    return repos


def _with_paragraphs(card: str, paragraphs: list[str]) -> str:
    """``card`` with ``paragraphs`` after its title line."""
    head, title, rest = card.partition("\n# ")
    line, _, body = rest.partition("\n")
    added = "".join(f"\n{p}\n" for p in paragraphs if p)
    return f"{head}{title}{line}\n{added}{body}"


def repo_configs(repo: HubRepo) -> dict[str, list[str]]:
    """config name -> splits, as the staged repo's card declares them."""
    from mattehub.publish.push import card_configs

    return {name: sorted(splits) for name, splits in card_configs(repo.root).items()}


def load_code(repos: list[HubRepo], revision: str | None = None) -> str:
    """Python that loads every pushed config by name, one ``ds = ...`` line per split: no
    mattehub needed, only ``datasets``."""
    rev = f", revision={json.dumps(revision)}" if revision else ""
    lines = ["from datasets import load_dataset"]
    for repo in repos:
        lines += ["", f"# {repo.label}"]
        for name, splits in sorted(repo_configs(repo).items()):
            lines += [f"ds = load_dataset({json.dumps(repo.repo_id)}, {json.dumps(name)}, "
                      f"split={json.dumps(split)}{rev}, streaming=True)" for split in splits]
    return "\n".join(lines)


@contextmanager
def repo_folder(folder: Path, stage: str | Path | None) -> Iterator[Path]:
    """Where the repos are staged: ``stage`` (kept; ``--stage DIR``), else a temp folder
    beside the output folder's push view (removed on exit)."""
    if stage is not None:
        target = Path(stage)
        if target.resolve().is_relative_to(folder.resolve()):
            raise PushError(f"--stage {stage}: inside the output folder {folder}; stage elsewhere")
        target.mkdir(parents=True, exist_ok=True)
        yield target
        return
    parent = _staging_parent(folder)
    try:
        yield parent
    finally:
        shutil.rmtree(parent, ignore_errors=True)
        staging = OutputLayout(folder).push_staging()
        for empty in (staging, staging.parent):
            try:
                empty.rmdir()
            except OSError:
                pass


def check_repos(repos: list[HubRepo]) -> list[str]:
    """Load one row of every split of every config of the staged repos in a fresh Python
    that never imports mattehub (``plain_load.py``, offline); PushError listing what fails,
    else one line per config loaded."""
    request = [{"root": str(repo.root), "label": repo.repo_id, "configs": repo_configs(repo)}
               for repo in repos]
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    with tempfile.TemporaryDirectory(prefix="mattehub-push-load-") as scratch:
        path = Path(scratch) / "request.json"
        path.write_text(json.dumps(request), encoding="utf-8")
        script = Path(__file__).with_name("plain_load.py")
        # -P: the script's folder (mattehub/publish/) is not put on sys.path
        done = subprocess.run([sys.executable, "-P", str(script), str(path)], env=env,
                              capture_output=True, text=True, check=False)
    try:
        report = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise PushError("the staged repos could not be loaded with plain datasets: "
                        + (done.stderr.strip().splitlines() or ["no output"])[-1]) from None
    if report["problems"]:
        raise PushError("the staged repos do not load with plain datasets; nothing was "
                        "uploaded\n" + "\n".join(f"  {p}" for p in report["problems"]))
    return [f"without mattehub: {line}" for line in report["loaded"]]
