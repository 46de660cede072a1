"""What a family contributes to ``mattehub demo``: the builds to run on its stand-in sources.

Each family's ``standin.py`` has a ``demo(sources_root, out)`` function that writes its
stand-in sources under ``sources_root`` (in the real layout) and returns a ``FamilyDemo``:
the recipes to build with their build settings, the configs whose statistics go into the
card, the exports to run after them, and the lines that tell the reader how to load the result.
``mattehub.cli.demo`` runs them in one loop, so a new family adds its demo in its own folder.
The declarations are plain data: families sit below the build layer and do not import it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mattehub.recipes.base import Recipe

DEMO_SHARD_SAMPLES = 16
"""Samples per shard in the demo, small so that even tiny configs show several shards."""


@dataclass(frozen=True)
class DemoBuild:
    """One ``build(recipe, ...)`` of the demo, with the settings that differ between builds."""

    recipe: Recipe
    split: str = "train"
    num_samples: int | None = None
    """None: the recipe's default (the whole split, or one pass over the sources)."""
    shard_samples: int = DEMO_SHARD_SAMPLES
    parallel: bool = False
    """Use the demo's worker count; False builds in one process (small builds finish
    before workers would have started)."""


@dataclass(frozen=True)
class FamilyDemo:
    """A family's part of the demo, in the order the demo runs and prints it."""

    builds: tuple[DemoBuild, ...]
    load_lines: tuple[str, ...]
    """Lines printed after the build (how to load what was built), indented by the caller;
    ``{wds}`` stands for the quoted folder of the WebDataset card (the output layout names it)."""
    statistics: tuple[str, ...] = ()
    """Configs whose statistics are computed and added to the card after the builds."""
    exports: tuple[tuple[str, Path], ...] = ()
    """``(config, folder)``: exported (``mattehub export``, ``--overwrite``) after the builds
    and statistics, e.g. to show the original layout read in place."""
