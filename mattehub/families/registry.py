"""Every config mattehub knows: one line each, naming its options class and its recipe.

Classes are named by ``module:attribute`` and imported on first use, so reading the
registry (the CLI parser, the ``load_dataset`` keyword arguments) imports only the light
options modules, never a family's pixel code. A new family is one folder plus one line here.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from mattehub.core.errors import BuildError
from mattehub.families.releases.options import IMAGE_READS, VIDEO_READS


@dataclass(frozen=True)
class Config:
    """One config: its name, its options class and recipe class (``module:attribute``), and
    the options it reads (None: every option its options class declares)."""

    name: str
    options: str
    recipe: str
    reads: tuple[str, ...] | None = None

    def options_class(self) -> type:
        return _load(self.options)

    def recipe_class(self) -> type:
        return _load(self.recipe)


_F = "mattehub.families."
_RELEASE = (_F + "releases.options:ReleaseOptions", _F + "releases.recipe:Release_")
CONFIGS: dict[str, Config] = {config.name: config for config in (
    Config("i-him", _F + "image_him.options:ImageHimOptions", _F + "image_him.recipe:ImageHimRecipe"),
    Config("v-him", _F + "video_him.options:VideoHimOptions", _F + "video_him.recipe:VideoHimRecipe"),
    Config("surreal-alpha", _F + "surreal_alpha.options:SurrealAlphaOptions", _F + "surreal_alpha.recipe:SurrealAlphaRecipe"),
    Config("aim", _F + "aim.options:AimOptions", _F + "aim.recipe:AimRecipe"),
    Config("composition-1k", _F + "aim.options:AimOptions", _F + "aim.recipe:Composition1kRecipe", ("data_dir",)),
    Config("overlay-depth", _F + "overlay_depth.options:OverlayDepthOptions", _F + "overlay_depth.recipe:OverlayDepthRecipe"),
    Config("duts", _F + "duts.options:DutsOptions", _F + "duts.recipe:DutsRecipe"),
    Config("i-him50k", _RELEASE[0], _RELEASE[1] + "i_him50k", IMAGE_READS + ("invalid_names",)),
    Config("him2k", _RELEASE[0], _RELEASE[1] + "him2k", IMAGE_READS),
    Config("m-him2k", _RELEASE[0], _RELEASE[1] + "m_him2k", IMAGE_READS + ("mask_set",)),
    Config("v-him2k5", _RELEASE[0], _RELEASE[1] + "v_him2k5", VIDEO_READS),
    Config("v-him60", _RELEASE[0], _RELEASE[1] + "v_him60", VIDEO_READS),
)}
CONFIG_NAMES: list[str] = sorted(CONFIGS)


def config(name: str) -> Config:
    """The registry line of ``name``, with a helpful error for unknown names."""
    try:
        return CONFIGS[name]
    except KeyError:
        raise BuildError(f"unknown config {name!r}; known configs: {', '.join(CONFIG_NAMES)}") from None


def recipe_class(name: str) -> type:
    """The recipe class of config ``name`` (its module imported now)."""
    return config(name).recipe_class()


def _load(path: str) -> Any:
    module, attribute = path.split(":")
    return getattr(importlib.import_module(module), attribute)
