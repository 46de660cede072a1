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
    family: str
    """The family folder ``mattehub/families/<family>/`` (its stand-in makes the demo)."""
    options: str
    recipe: str
    reads: tuple[str, ...] | None = None
    export: str | None = None
    """Its exporter class (``module:attribute``, ``families/exporting.Exporter``): the layout
    ``mattehub export`` writes it back in (None: not exportable)."""

    def options_class(self) -> type:
        return load(self.options)

    def recipe_class(self) -> type:
        return load(self.recipe)


def _line(name: str, family: str, options: str, recipe: str,
          reads: tuple[str, ...] | None = None, module: str = "recipe",
          export: str | None = None) -> Config:
    """A registry line for a family folder ``mattehub/families/<family>/`` (its recipe class
    in ``<module>.py``, ``recipe.py`` unless said; its exporter class in ``export.py``, or
    another family folder's ``<folder>.export:<class>``)."""
    where = f"mattehub.families.{family}"
    if export and ":" not in export:
        export = f"{family}.export:{export}"
    return Config(name, family, f"{where}.options:{options}", f"{where}.{module}:{recipe}", reads,
                  f"mattehub.families.{export}" if export else None)


def _release(name: str, recipe: str, reads: tuple[str, ...], export: str) -> Config:
    """A release config: ``ReleaseOptions`` and its recipe class in ``releases/recipe.py``;
    it is exported in the layout of its HIM family (``image_him`` or ``video_him``)."""
    return _line(name, "releases", "ReleaseOptions", recipe, reads, export=export)


_MAGGIE_IMAGE, _MAGGIE_VIDEO = "image_him.export:MaggieImage", "video_him.export:MaggieVideo"


CONFIGS: dict[str, Config] = {line.name: line for line in (
    _line("i-him", "image_him", "ImageHimOptions", "ImageHimRecipe", export=_MAGGIE_IMAGE),
    _line("v-him", "video_him", "VideoHimOptions", "VideoHimRecipe", export=_MAGGIE_VIDEO),
    _release("i-him50k", "IHim50kRecipe", IMAGE_READS + ("invalid_names",), _MAGGIE_IMAGE),
    _release("him2k", "Him2kRecipe", IMAGE_READS, _MAGGIE_IMAGE),
    _release("m-him2k", "MHim2kRecipe", IMAGE_READS + ("mask_set",), _MAGGIE_IMAGE),
    _release("v-him2k5", "VHim2k5Recipe", VIDEO_READS, _MAGGIE_VIDEO),
    _release("v-him60", "VHim60Recipe", VIDEO_READS, _MAGGIE_VIDEO),
    _line("surreal-alpha", "surreal_alpha", "SurrealAlphaOptions", "SurrealAlphaRecipe",
          export="DimTool"),
    _line("overlay-depth", "overlay_depth", "OverlayDepthOptions", "OverlayDepthRecipe",
          export="OverlayDepthOriginal"),
    _line("duts", "duts", "DutsOptions", "DutsRecipe", export="DutsTrain"),
    _line("aim", "aim", "AimOptions", "AimRecipe", export="AdobeTrain"),
    _line("composition-1k", "aim", "AimOptions", "Composition1kRecipe", ("data_dir", "bg_root"), "composition_1k",
          export="Composition1k"),
    _line("videomatte240k", "videomatte240k", "VideoMatteOptions", "VideoMatteRecipe",
          export="VideoMatteFolders"),
    _line("videomatte240k-comp", "videomatte240k", "VideoMatteCompOptions", "VideoMatteCompRecipe",
          export="VideoMatteComposites"),
    _line("p3m-10k", "p3m", "P3mOptions", "P3mRecipe", export="P3mExport"),
    _line("p3m-500", "p3m", "P3m500Options", "P3m500Recipe", export="P3m500Export"),
    _line("am-2k", "am2k", "Am2kOptions", "Am2kRecipe", export="Am2kExport"),
    _line("am-2k-validation", "am2k", "Am2kValidationOptions", "Am2kValidationRecipe",
          export="Am2kValidationExport"),
    _line("aim-500", "aim500", "Aim500Options", "Aim500Recipe", export="Aim500Export"),
    _line("ppm-100", "ppm", "PpmOptions", "PpmRecipe", export="PpmExport"),
    _line("videomatte240k-rvm-eval", "videomatte240k", "RvmEvalOptions", "RvmEvalRecipe",
          module="rvm_eval", export="RvmEvalFolders"),
    _line("hub-him2k", "hub_mirrors", "HubHim2kOptions", "HubHim2kRecipe", export="Him2kFolders"),
    _line("hub-aim500", "hub_mirrors", "HubAim500Options", "HubAim500Recipe", export="Aim500Folders"),
    _line("distinctions-646", "distinctions646", "Distinctions646Options", "Distinctions646Recipe",
          export="Distinctions646Folders"),
    _line("rwp-636", "rwp636", "Rwp636Options", "Rwp636Recipe", export="RwpFolders"),
)}
CONFIG_NAMES: list[str] = sorted(CONFIGS)


def families() -> list[str]:
    """The family folders, in registry order (the order the demo builds them in)."""
    return list(dict.fromkeys(line.family for line in CONFIGS.values()))


def config(name: str) -> Config:
    """The registry line of ``name``, with a helpful error for unknown names."""
    try:
        return CONFIGS[name]
    except KeyError:
        raise BuildError(f"unknown config {name!r}; known configs: {', '.join(CONFIG_NAMES)}") from None


def recipe_class(name: str) -> type:
    """The recipe class of config ``name`` (its module imported now)."""
    return config(name).recipe_class()


def load(path: str) -> Any:
    """The attribute a ``module:attribute`` path names (its module imported now)."""
    module, attribute = path.split(":")
    return getattr(importlib.import_module(module), attribute)
