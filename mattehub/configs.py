"""Every config name mattehub knows, and the recipe that builds each."""
from __future__ import annotations

from .recipes.aim import AimRecipe, Composition1kRecipe
from .recipes.duts import DutsRecipe
from .recipes.i_him import ImageHimRecipe
from .recipes.overlay_depth import OverlayDepthRecipe
from .recipes.surreal_alpha import SurrealAlphaRecipe
from .recipes.v_him import VideoHimRecipe
from .errors import BuildError
from .recipes.base import Recipe
from .recipes.release import RELEASE_RECIPES

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
