"""Dataset cards: the Markdown of both cards, and writing them with their YAML.

The Markdown is one section per config (a table of its splits, a snippet that loads it, one
preview sheet per split, the statistics ``mattehub stats`` stored, how it was built), grouped
under the prose of the recipe template that describes it (``mattehub.output.card_templates``);
the YAML front matter comes from ``mattehub.output.card_yaml``. Stored statistics are
rendered here from their JSON form: ``mattehub.analysis.statistics`` computes them and imports
this module, never the other way round.
"""
from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path, PurePosixPath
from string import Template

from mattehub.core.jsonio import read_json, write_json
from mattehub.output.card_templates import by_config, by_template, recipe_licence, template, template_parts
from mattehub.output.card_yaml import card_data, pretty_name
from mattehub.output.layout import CARD, CONFIG_SUFFIX, OutputLayout

PER_SPLIT_SOURCES = ("skipped_inputs", "samples")
"""Source-report keys that differ between the splits of one build; shown in the split table."""
ROW_FIELDS = ("__key__", "__url__")
STATISTICS = "statistics"
"""Split-summary key of the figures ``mattehub stats`` stores (``Statistics.as_dict()``)."""
STAT_NAMES = ("pooled_mean", "pooled_std", "mean_of_image_means", "std_of_image_stds",
              "mean_of_image_stds")
"""The statistics stored per field and channel, in table order."""
STAT_HEADER = ["field", "channel", "bits (values)", "images", "pixels", "pooled mean",
               "pooled std", "mean of image means", "std of image stds", "mean of image stds"]


# --- snippets -------------------------------------------------------------------------------

def _root_name(layout: OutputLayout) -> str:
    """The output folder's own name: snippets are run from the folder holding it (for a
    staging copy of a remote output, the name of the URL's last folder)."""
    return layout.name or layout.root.resolve().name


def _dataset_path(layout: OutputLayout, fmt: str) -> str:
    """What to pass to ``load_dataset`` for the card of ``fmt`` (``OUT`` or ``OUT/wds``)."""
    inside = layout.card_root(fmt).relative_to(layout.root).as_posix()
    return str(PurePosixPath(_root_name(layout)) / inside)


def _card_path(layout: OutputLayout, fmt: str) -> str:
    """The card of ``fmt`` as a path from the folder holding the output folder."""
    return f"{_dataset_path(layout, fmt)}/{CARD}"


def _field_names(summary: dict, fmt: str) -> list[str]:
    """The sample fields (columns) of the config, in schema order."""
    return [name for name in summary["features"][fmt] if name not in ROW_FIELDS]


def _fields_line(summary: dict, fmt: str) -> str:
    """``sample["image"], sample["alpha"], ...``: every field the config has, by name."""
    return ", ".join(f'sample["{name}"]' for name in _field_names(summary, fmt))


def _tar_values(layout: OutputLayout, summary: dict) -> dict[str, str]:
    """Placeholders of the tar snippets for one split (paths relative to ``OUT``)."""
    config, split = summary["config"], summary["split"]
    pattern = layout.data_files_pattern(config, split, "webdataset")
    members = [name for name in _field_names(summary, "webdataset") if name.endswith(".mp")]
    return {"root": _root_name(layout), "split": split,
            "summary_path": layout.relative(layout.split_summary(config, split)),
            "tar_files": layout.relative(layout.card_root("webdataset") / pattern),
            "fields": _fields_line(summary, "webdataset"), "list_members": json.dumps(members)}


def _config_snippet(layout: OutputLayout, splits: list[dict], fmt: str) -> str:
    """A snippet loading one config: all its splits, then a sample of the first."""
    return Template(template_parts("load.md")["config"]).substitute(
        dataset=_dataset_path(layout, fmt), config_name=splits[0]["config"] + CONFIG_SUFFIX[fmt],
        split_list=", ".join(s["split"] for s in splits), split=splits[0]["split"],
        fields=_fields_line(splits[0], fmt))


def _load_section(layout: OutputLayout, summaries: list[dict], fmt: str) -> str:
    """The "Load it" text of the card of ``fmt``, its tar examples on the first split with tars,
    then how to train on it (a Hub user who never imports mattehub reads only this)."""
    parts = template_parts("load.md")
    tars = [s for s in summaries if "webdataset" in s["files"]]
    text = parts[f"load-{fmt}"] + ("\n\n" + parts["tars-parquet"] if fmt == "parquet" and tars else "")
    text += "\n\n" + parts[f"train-{fmt}"]  # the common route (with_format) does not batch: say what does
    values = {"root": _root_name(layout),
              "wids_index": layout.relative(layout.wids_index("<config>", "<split>"))}
    if tars:
        values.update(_tar_values(layout, tars[0]))
        values["tar_route"] = Template(parts["tar-route"]).substitute(values)
    return Template(text).substitute(values)


# --- statistics (rendered from the stored entry: the card never imports mattehub.analysis.statistics) --

def value_range(bit_depth: int) -> str:
    """The range of raw ``bit_depth``-bit pixel values, e.g. ``0..255``."""
    return f"0..{2 ** bit_depth - 1}"


def statistics_rows(entry: dict) -> list[list[str]]:
    """Text cells of a stored statistics entry, one row per channel of each field, in
    ``STAT_HEADER`` order. Shared by the card and ``mattehub stats``'s terminal table."""
    return [[f["field"], channel, f"{f['bit_depth']} ({value_range(f['bit_depth'])})",
             str(f["images"]), str(f["pixels"])] + [f"{f[name][c]:.4f}" for name in STAT_NAMES]
            for f in entry["fields"] for c, channel in enumerate(f["channels"])]


def statistics_markdown(entry: dict) -> str:
    """The card's table for a split summary's ``statistics`` entry, with one sentence on
    the definitions (the mean and "STD" some datasets publish are not the pooled ones)."""
    rows = [[f"`{row[0]}`"] + row[1:] for row in statistics_rows(entry)]
    table = "\n".join(["| " + " | ".join(STAT_HEADER) + " |", "|" + "---|" * len(STAT_HEADER)]
                      + ["| " + " | ".join(row) + " |" for row in rows])
    return (f"Split `{entry['split']}`, per channel (RGB order), in raw pixel values:\n\n"
            f"{table}\n\n"
            "*Pooled* mean and std take all pixels of all images as one population (std "
            "with ddof=0), while *mean of image means* and *std of image stds* first take "
            "each image's own mean and std and then their mean and (ddof=0) std over the "
            "images: the definitions behind the \"mean\" and \"STD\" some datasets publish, "
            "whose \"STD\" is the spread of per-image stds, not the pixel std.")


# --- config sections ------------------------------------------------------------------------

def _events(counts: dict[str, int]) -> str:
    return ", ".join(f"`{kind}` {count}" for kind, count in counts.items()) or "none"


def _split_table(splits: list[dict]) -> str:
    """One row per split: counts, skips, events, build fingerprint."""
    rows = ["| split | examples | ids skipped | input files skipped | events | build fingerprint |",
            "|---|---|---|---|---|---|"]
    rows += [f"| `{s['split']}` | {s['num_examples']} | {s['skipped_samples']} | "
             f"{len(s['build']['sources'].get('skipped_inputs', []))} | {_events(s['event_counts'])} | "
             f"`{s['build']['fingerprint']}` |" for s in splits]
    return "\n".join(rows)


def _previews(layout: OutputLayout, splits: list[dict], fmt: str) -> str:
    """Links to each split's preview sheet, relative to the card's folder."""
    links = []
    for s in splits:
        sheet = layout.preview(s["config"], s["split"])
        if sheet.exists():
            link = Path(os.path.relpath(sheet, layout.card_root(fmt))).as_posix()
            links.append(f"First samples of `{s['split']}`:\n\n"
                         f"![{s['config']} {s['split']}: first samples]({link})")
    return "\n\n".join(links)


def _settings(summary: dict) -> dict:
    """What a split was built with, without what naturally differs between splits."""
    build = summary["build"]
    return {"seed": build["seed"], "mattehub": build["mattehub_version"],
            "sources": {k: v for k, v in build["sources"].items() if k not in PER_SPLIT_SOURCES},
            "options": {k: v for k, v in build["recipe"]["options"].items() if k != "split"}}


def _build_notes(splits: list[dict]) -> str:
    """Seed, version, sources and options, once per group of splits built alike."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for s in splits:
        groups[json.dumps(_settings(s), sort_keys=True)].append(s)
    notes = []
    for members in groups.values():
        settings = _settings(members[0])
        names = ", ".join(f"`{s['split']}`" for s in members)
        subject = f"Splits {names} were" if len(members) > 1 else f"Split {names} was"
        notes.append(f"{subject} built with seed {settings['seed']} and mattehub "
                     f"{settings['mattehub']} from sources `{json.dumps(settings['sources'])}`, "
                     f"with these options:\n\n"
                     f"```json\n{json.dumps(settings['options'], indent=1)}\n```")
    return "\n\n".join(notes)


def _statistics(splits: list[dict]) -> str:
    """A "Statistics" subsection with the per-channel statistics of the splits that have
    them (stored in their summaries by ``mattehub stats``), else nothing."""
    tables = [statistics_markdown(s[STATISTICS]) for s in splits if s.get(STATISTICS)]
    return "\n\n".join(["#### Statistics"] + tables) if tables else ""


def _config_section(layout: OutputLayout, splits: list[dict], fmt: str) -> str:
    """One section for one config, whatever its number of splits."""
    first = splits[0]
    blocks = [f"### `{first['config'] + CONFIG_SUFFIX[fmt]}`: {first['summary']}",
              _split_table(splits), _config_snippet(layout, splits, fmt),
              _previews(layout, splits, fmt), _statistics(splits), _build_notes(splits)]
    return "\n\n".join(block for block in blocks if block)


def _sections(layout: OutputLayout, summaries: list[dict], fmt: str) -> str:
    """Each recipe template's prose once, followed by the sections of its configs."""
    blocks = []
    for name, configs in by_template(summaries).items():
        blocks.append(template_parts(name)["about"])
        blocks += [_config_section(layout, splits, fmt) for splits in configs.values()]
    return "\n\n".join(blocks)


def _licences(summaries: list[dict], fmt: str) -> str:
    """Each recipe template's licence text once, naming the configs it covers, then the
    terms each config's family declares (what ``mattehub push`` decides from)."""
    paragraphs = []
    for name, configs in by_template(summaries).items():
        listed = ", ".join(f"`{config + CONFIG_SUFFIX[fmt]}`" for config in configs)
        ids = ", ".join(sorted({recipe_licence(s) for splits in configs.values() for s in splits}))
        paragraphs.append(f"**{listed}** (licence id `{ids}`). {template_parts(name)['licence']}")
        terms = [_terms_line(config + CONFIG_SUFFIX[fmt], config) for config in configs]
        paragraphs.append("\n".join(line for line in terms if line))
    return "\n\n".join(p for p in paragraphs if p)


def _terms_line(name: str, config: str) -> str:
    """One bullet: the declared terms of ``config`` (``Recipe.terms``), or '' if none."""
    from mattehub.families.registry import CONFIGS, recipe_class   # imports the recipe module

    terms = recipe_class(config).terms if config in CONFIGS else None
    if terms is None:
        return ""
    link = f" <{terms.url}>" if terms.url else ""
    return (f"- `{name}`: {terms.describe()}.{link} Attribution: "
            f"{terms.attribution or 'none stated'}")


def _citations(summaries: list[dict]) -> str:
    """Every citation the recipe templates ask for, once each."""
    cited = dict.fromkeys(line.strip() for name in by_template(summaries)
                          for line in template_parts(name)["cites"].splitlines() if line.strip())
    return "\n\n".join(template(name).strip("\n") for name in cited)


def _config_table(summaries: list[dict], fmt: str) -> str:
    """One table row per config: name in this card, splits with their sizes, summary."""
    rows = []
    for config, splits in by_config(summaries).items():
        sizes = ", ".join(f"{s['split']} ({s['num_examples']})" for s in splits)
        rows.append(f"| `{config + CONFIG_SUFFIX[fmt]}` | {sizes} | {splits[0]['summary']} |")
    return "\n".join(rows)


def card_body(layout: OutputLayout, summaries: list[dict], fmt: str, other_formats: set[str]) -> str:
    """The Markdown under the front matter of the card of ``fmt``; ``summaries`` are the
    splits holding ``fmt``, ``other_formats`` the other formats present in the folder."""
    parts = template_parts("load.md")
    configs = list(by_config(summaries))
    values = {"root": _root_name(layout), "example_config": configs[0] + CONFIG_SUFFIX[fmt],
              "parquet_card": _card_path(layout, "parquet"),
              "wds_card": _card_path(layout, "webdataset")}
    intro = Template(parts[f"intro-{fmt}"]).substitute(values)
    intro += "".join(" " + Template(parts[f"other-{other}"]).substitute(values)
                     for other in sorted(other_formats))
    return Template(template("card.md")).substitute(
        pretty_name=pretty_name(configs, fmt), this_card=intro,
        build_record=layout.relative(layout.build_record("<config>", "<split>")),
        config_table=_config_table(summaries, fmt), load=_load_section(layout, summaries, fmt),
        sections=_sections(layout, summaries, fmt), licences=_licences(summaries, fmt),
        citations=_citations(summaries))


# --- writing --------------------------------------------------------------------------------

def render_card(layout: OutputLayout, summaries: list[dict], fmt: str) -> str | None:
    """The whole ``README.md`` of the card of ``fmt`` (None when no split holds ``fmt``)."""
    present = [s for s in summaries if fmt in s["files"]]
    if not present:
        return None
    others = {f for s in summaries for f in s["files"]} - {fmt}
    return (f"---\n{card_data(layout, present, fmt).to_yaml()}\n---\n\n"
            f"{card_body(layout, present, fmt, others)}")


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
        text = render_card(layout, summaries, fmt)
        if text is not None:
            _write_text(layout.card(fmt), text)
    write_json(layout.folder_index(), {config: {"splits": [s["split"] for s in splits],
                                                "formats": sorted(splits[0]["files"])}
                                       for config, splits in by_config(summaries).items()})
