"""Dataset cards: YAML that ``datasets`` and the Hub read, plus prose from templates.

``OUT/README.md`` declares the Parquet configs (named like the config, ``i-him``) and
``OUT/wds/README.md`` the WebDataset ones (``i-him-wds``): ``datasets`` uses one builder
per dataset root, so the two formats need two roots (see ``mattehub.layout``). Each config
lists its data files per split and declares its features; declaring the WebDataset features
stops ``datasets`` from inferring them from the first five samples. The prose comes from
``dataset_cards/`` (``card.md`` + one ``<config>.md`` per recipe) via ``string.Template``.
"""
from __future__ import annotations

import json
from collections import defaultdict
from importlib import resources
from pathlib import Path
from string import Template

import datasets
from datasets.info import DatasetInfosDict
from huggingface_hub import DatasetCardData

from .jsonio import read_json, write_json
from .layout import OutputLayout

WDS_SUFFIX = "-wds"
CONFIG_SUFFIX = {"parquet": "", "webdataset": WDS_SUFFIX}


def template(name: str) -> str:
    """Text of ``dataset_cards/<name>`` (shipped inside the package as mattehub.dataset_cards)."""
    return resources.files("mattehub.dataset_cards").joinpath(name).read_text(encoding="utf-8")


def _by_config(summaries: list[dict]) -> dict[str, list[dict]]:
    grouped = defaultdict(list)
    for summary in summaries:
        grouped[summary["config"]].append(summary)
    return dict(sorted(grouped.items()))


def card_yaml(layout: OutputLayout, summaries: list[dict], fmt: str) -> str | None:
    """YAML front matter declaring every config of format ``fmt`` (None if there is none)."""
    configs, infos = [], DatasetInfosDict()
    for config, splits in _by_config(summaries).items():
        present = [s for s in splits if fmt in s["files"]]
        if not present:
            continue
        name = config + CONFIG_SUFFIX[fmt]
        configs.append({"config_name": name, "data_files": [
            {"split": s["split"], "path": layout.data_files_pattern(config, s["split"], fmt)}
            for s in present]})
        split_dict = datasets.SplitDict()
        for s in present:
            split_dict.add(datasets.SplitInfo(s["split"], s["num_bytes"][fmt], s["num_examples"]))
        infos[name] = datasets.DatasetInfo(
            features=datasets.Features.from_dict(present[0]["features"][fmt]), splits=split_dict)
    if not configs:
        return None
    licences = sorted({s["build"]["recipe"].get("licence", "other") for s in summaries})
    data = DatasetCardData(license=licences[0] if len(licences) == 1 else "other",
                           tags=["image-matting", "human-matting", "mattehub"] +
                                (["webdataset"] if fmt == "webdataset" else []),
                           task_categories=["image-segmentation"], configs=configs)
    infos.to_dataset_card_data(data)
    return data.to_yaml()


def _config_section(summary: dict, fmt: str) -> str:
    build = summary["build"]
    preview = ("" if fmt == "parquet" else "../") + f"preview/{summary['config']}.png"
    sources = {k: v for k, v in build["sources"].items() if k != "skipped_inputs"}
    name = f"{summary['config']}.md"
    body = template(name) if resources.files("mattehub.dataset_cards").joinpath(name).is_file() \
        else template("release.md")
    return Template(body).safe_substitute(summary=summary["summary"],
        config=summary["config"], split=summary["split"], num_examples=summary["num_examples"],
        skipped=summary["skipped_samples"], seed=build["seed"],
        events=json.dumps(summary["event_counts"]), sources=json.dumps(sources),
        options=json.dumps(build["recipe"]["options"], indent=1),
        skipped_inputs=len(build["sources"].get("skipped_inputs", [])),
        version=build["mattehub_version"], fingerprint=build["fingerprint"], preview=preview)


def card_body(summaries: list[dict], fmt: str) -> str:
    """The Markdown under the front matter."""
    configs = list(_by_config(summaries))
    first = configs[0] + CONFIG_SUFFIX[fmt]
    listing = "\n".join(f"- `{c}` (Parquet, in this folder's root card) and `{c}{WDS_SUFFIX}` "
                        f"(WebDataset, in `wds/README.md`)" for c in configs)
    return Template(template("card.md")).safe_substitute(
        config_list=listing, first_config=first, first_base=configs[0],
        sections="\n\n".join(_config_section(s, fmt) for s in summaries))


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def write_card(layout: OutputLayout) -> None:
    """(Re)write both cards and ``_stats/index.json`` from every finished split summary."""
    summaries = [s for s in map(read_json, layout.summaries()) if s]
    if not summaries:
        return
    for fmt in CONFIG_SUFFIX:
        front = card_yaml(layout, summaries, fmt)
        if front is not None:
            _write_text(layout.card_root(fmt) / "README.md",
                        f"---\n{front}\n---\n\n{card_body(summaries, fmt)}")
    write_json(layout.folder_index(), {config: {"splits": [s["split"] for s in splits],
                                                "formats": sorted(splits[0]["files"])}
                                       for config, splits in _by_config(summaries).items()})
