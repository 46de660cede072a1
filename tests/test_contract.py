"""docs/format.md and mattehub.contract describe the same fields."""
from pathlib import Path

from mattehub.contract import FAMILIES, check_schema
from mattehub.configs import RECIPES
from mattehub.recipes.i_him_meta import INSTANCE, META_FEATURES

DOC = (Path(__file__).resolve().parents[1] / "docs" / "format.md").read_text()


def test_every_family_and_field_is_documented():
    for family, fields in FAMILIES.items():
        assert f"`{family}`" in DOC or family in DOC
        for name in fields:
            assert f"`{name}`" in DOC, f"{family}.{name} missing from docs/format.md"


def test_every_i_him_meta_key_is_documented():
    for key in list(META_FEATURES) + list(INSTANCE):
        assert f"`{key}`" in DOC or f"[].{key}`" in DOC, f"meta key {key} missing from docs/format.md"


def test_recipe_schemas_stay_inside_their_family(hhm):
    for recipe_cls in RECIPES.values():
        from conftest import i_him_recipe

        schema = i_him_recipe(hhm).schema()
        check_schema(schema)
        assert schema.fields[-1].name == "meta" and recipe_cls.family in FAMILIES
