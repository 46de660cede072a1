"""Every config name mattehub knows, and the recipe that builds each."""
from __future__ import annotations

from mattehub.families.aim.composition_1k import Composition1kRecipe
from mattehub.families.aim.recipe import AimRecipe
from mattehub.families.duts.recipe import DutsRecipe
from mattehub.families.image_him.recipe import ImageHimRecipe
from mattehub.families.overlay_depth.recipe import OverlayDepthRecipe
from mattehub.families.surreal_alpha.recipe import SurrealAlphaRecipe
from mattehub.families.video_him.recipe import VideoHimRecipe
from mattehub.core.errors import BuildError
from mattehub.recipes.base import Recipe
from mattehub.families.releases.recipe import RELEASE_RECIPES

RECIPES: dict[str, type[Recipe]] = {recipe.name: recipe for recipe in (ImageHimRecipe, VideoHimRecipe,
                                                                   SurrealAlphaRecipe, AimRecipe,
                                                                   Composition1kRecipe,
                                                                   OverlayDepthRecipe, DutsRecipe)}
RECIPES.update(RELEASE_RECIPES)
CONFIG_NAMES: list[str] = sorted(RECIPES)


def recipe_class(config: str) -> type[Recipe]:
    """The recipe of ``config``, with a helpful error for unknown names."""
    try:
        return RECIPES[config]
    except KeyError:
        raise BuildError(f"unknown config {config!r}; known configs: {', '.join(CONFIG_NAMES)}") from None
