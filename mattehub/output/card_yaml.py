"""The dataset card's YAML front matter: the configs, their data files and features, licence.

``OUT/README.md`` declares the Parquet configs (named like the config, ``i-him``) and
``OUT/wds/README.md`` the WebDataset ones (``i-him-wds``): ``datasets`` uses one builder
per dataset root, so the two formats need two roots (see ``mattehub.output.layout``). Each config
lists its data files per split and declares its features; declaring the WebDataset features
stops ``datasets`` from inferring them from the first five samples.
"""
from __future__ import annotations

import yaml
from huggingface_hub import DatasetCardData

from mattehub.contract.features import features_yaml
from mattehub.output.card_templates import by_config, by_template, recipe_licence, template_parts
from mattehub.output.layout import CARD, CONFIG_SUFFIX, OutputLayout

TAGS = ["image-matting", "human-matting", "mattehub"]
SIZE_CATEGORIES = ("n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M", "10M<n<100M",
                   "100M<n<1B", "1B<n<10B", "10B<n<100B", "100B<n<1T")
"""The Hub's ``size_categories`` buckets, one per power of ten from 1K; above: ``n>1T``."""
MIXED_LICENCE = {"license": "other", "license_name": "mixed-source-licences",
                 "license_link": f"{CARD}#licences"}
"""Card licence when configs differ or one inherits its sources' licences (recipe licence
``other``) and its template names no licence of its own: the card's Licences section says
which licence applies to which config."""
HUB_LICENCE_PART = "hub-licence"
HUB_LICENCE_KEYS = ("license_name", "license_link")


def size_category(num_examples: int) -> str:
    """The Hub's size bucket for ``num_examples`` (``n<1K``, ``1K<n<10K``, ...)."""
    index = max(0, len(str(num_examples)) - 3)
    return SIZE_CATEGORIES[index] if index < len(SIZE_CATEGORIES) else "n>1T"


def licence_fields(licences: set[str]) -> dict[str, str]:
    """``license`` (plus ``license_name``/``license_link`` when it is ``other``) for a card
    whose configs carry ``licences``: one Hub licence id when they all share it."""
    if len(licences) == 1 and "other" not in licences:
        return {"license": next(iter(licences))}
    return dict(MIXED_LICENCE)


def template_licence(name: str) -> dict[str, str] | None:
    """``license_name`` and ``license_link`` declared by template ``name`` (its ``hub-licence``
    part), or None when it declares none."""
    text = template_parts(name).get(HUB_LICENCE_PART)
    if not text:
        return None
    declared = yaml.safe_load(text)
    if not isinstance(declared, dict) or set(declared) != set(HUB_LICENCE_KEYS):
        raise ValueError(f"dataset_cards/{name}: part {HUB_LICENCE_PART!r} must give exactly "
                         f"{' and '.join(HUB_LICENCE_KEYS)}")
    return {key: str(declared[key]) for key in HUB_LICENCE_KEYS}


def card_licence(summaries: list[dict]) -> dict[str, str]:
    """The card's licence fields: one Hub id when every config shares it; a template's own
    named licence when every config comes from that template with licence ``other``; else
    the mixed-licence pointer to the Licences section."""
    licences = {recipe_licence(s) for s in summaries}
    templates = list(by_template(summaries))
    if licences == {"other"} and len(templates) == 1:
        declared = template_licence(templates[0])
        if declared:
            return {"license": "other", **declared}
    return licence_fields(licences)


def pretty_name(configs: list[str], fmt: str) -> str:
    """A readable dataset name: the configs when few, else how many."""
    listed = ", ".join(configs) if len(configs) <= 3 else f"{len(configs)} matting configs"
    return f"mattehub: {listed}" + (" (WebDataset)" if fmt == "webdataset" else "")


def card_data(layout: OutputLayout, summaries: list[dict], fmt: str) -> DatasetCardData:
    """Card metadata declaring every config of ``summaries`` (all holding format ``fmt``)."""
    configs, infos = [], {}
    for config, splits in by_config(summaries).items():
        name = config + CONFIG_SUFFIX[fmt]
        configs.append({"config_name": name, "data_files": [
            {"split": s["split"], "path": layout.data_files_pattern(config, s["split"], fmt)}
            for s in splits]})
        infos[name] = {"config_name": name, "features": features_yaml(splits[0]["features"][fmt]),
                       "splits": [{"name": s["split"], "num_bytes": s["num_bytes"][fmt],
                                   "num_examples": s["num_examples"]} for s in splits]}
    data = DatasetCardData(
        pretty_name=pretty_name(list(by_config(summaries)), fmt),
        size_categories=[size_category(sum(s["num_examples"] for s in summaries))],
        task_categories=["image-segmentation"],
        tags=TAGS + (["webdataset"] if fmt == "webdataset" else []),
        configs=configs, **card_licence(summaries))
    if infos:  # as datasets.DatasetInfosDict.to_dataset_card_data writes them
        data["dataset_info"] = ([infos[name] for name in sorted(infos)] if len(infos) > 1
                                else next(iter(infos.values())))
    return data
