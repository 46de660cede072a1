"""Dataset card templates: the prose of each recipe, shared by the YAML and the Markdown.

Templates live in ``dataset_cards/`` (shipped as ``mattehub.dataset_cards``): ``card.md`` is
the skeleton, ``load.md`` the text and snippets that depend on the card's format, and
``<config>.md`` (``release.md`` for release configs) holds a recipe's ``about``, ``licence``
and ``cites`` parts (and optionally ``hub-licence``: the ``license_name`` / ``license_link``
of a card whose configs all come from that template with licence id ``other``, e.g.
SURREAL's own licence). Split summaries are grouped by template here so that text shared by
several configs (recipe prose, licences, citations) is written once.
"""
from __future__ import annotations

import re
from collections import defaultdict
from functools import cache
from importlib import resources

DEFAULT_TEMPLATE = "release.md"
PART_MARKER = re.compile(r"^<!-- part: ([\w-]+) -->\n", re.MULTILINE)


def template(name: str) -> str:
    """Text of ``dataset_cards/<name>`` (shipped inside the package as mattehub.dataset_cards)."""
    return resources.files("mattehub.dataset_cards").joinpath(name).read_text(encoding="utf-8")


@cache
def template_parts(name: str) -> dict[str, str]:
    """The ``<!-- part: NAME -->`` parts of a template, by name (text before the first marker
    is a comment for template authors and is dropped)."""
    pieces = PART_MARKER.split(template(name))
    return {key: text.strip("\n") for key, text in zip(pieces[1::2], pieces[2::2])}


def _config_template(config: str, family: str = "") -> str:
    """The template describing ``config``: ``<config>.md``, else its family's ``<family>.md``
    (``composition-1k`` shares ``aim.md``), else the release template."""
    for name in (f"{config}.md", f"{family}.md"):
        if name != ".md" and resources.files("mattehub.dataset_cards").joinpath(name).is_file():
            return name
    return DEFAULT_TEMPLATE


def by_config(summaries: list[dict]) -> dict[str, list[dict]]:
    """Split summaries grouped by config, configs sorted (splits keep their order)."""
    grouped = defaultdict(list)
    for summary in summaries:
        grouped[summary["config"]].append(summary)
    return dict(sorted(grouped.items()))


def by_template(summaries: list[dict]) -> dict[str, dict[str, list[dict]]]:
    """template name -> config -> split summaries, so a recipe's prose is written once."""
    grouped: dict[str, dict[str, list[dict]]] = defaultdict(dict)
    for config, splits in by_config(summaries).items():
        grouped[_config_template(config, splits[0].get("family", ""))][config] = splits
    return dict(grouped)


def recipe_licence(summary: dict) -> str:
    return summary["build"]["recipe"].get("licence", "other")
