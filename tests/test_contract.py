"""docs/format.md, mattehub.contract.schema and each family folder's field set describe the
same fields."""
import json
from functools import cache
from pathlib import Path

from mattehub.contract.schema import check_schema
from mattehub.families.registry import CONFIG_NAMES, CONFIGS
from mattehub.families.image_him.meta import INSTANCE

DOC = (Path(__file__).resolve().parents[1] / "docs" / "format.md").read_text()


@cache
def _families() -> dict[str, tuple[str, ...]]:
    """Family name -> the field set its folder declares, read from the recipe class of every
    registry line (so a new family is checked with no list to edit here); the configs of one
    family must declare the same set."""
    declared: dict[str, tuple[str, ...]] = {}
    for line in CONFIGS.values():
        recipe = line.recipe_class()
        fields = declared.setdefault(recipe.family, recipe.family_fields)
        assert fields == recipe.family_fields, f"{line.name} declares another {recipe.family} field set"
    return declared


def test_every_family_and_field_is_documented():
    for family, fields in _families().items():
        assert f"`{family}`" in DOC or family in DOC
        for name in fields:
            assert f"`{name}`" in DOC, f"{family}.{name} missing from docs/format.md"


def test_preview_tiles_name_contract_fields_and_every_family_has_a_picture():
    from mattehub.contract.schema import PICTURE, TILES

    fields = {name for names in _families().values() for name in names}
    assert set(TILES) <= fields
    assert all(rule.hidden_by is None or rule.hidden_by in fields for rule in TILES.values())
    for family, names in _families().items():
        assert any(TILES[n].draw == PICTURE for n in names if n in TILES), family


def test_every_meta_key_is_documented():
    from mattehub.families.surreal_alpha.meta import META_FEATURES as SURREAL_META
    from mattehub.families.him_meta import IMAGE_HIM_META, VIDEO_HIM_META as CLIP_META
    from mattehub.families.overlay_depth.meta import META_FEATURES as OVERLAY_META
    from mattehub.families.duts.meta import META_FEATURES as DUTS_META
    from mattehub.families.aim.meta import META_FEATURES as AIM_META
    from mattehub.families.p3m.meta import META_FEATURES as P3M_META
    from mattehub.families.aim500.meta import META_FEATURES as AIM500_META

    keys = list(IMAGE_HIM_META) + list(INSTANCE) + list(CLIP_META) + list(SURREAL_META)
    keys += list(OVERLAY_META) + list(DUTS_META) + list(AIM_META) + list(P3M_META)
    for key in keys + list(AIM500_META):
        assert f"`{key}`" in DOC or f"[].{key}`" in DOC or f"`{key}`," in DOC, \
            f"meta key {key} missing from docs/format.md"


def _every_recipe(hhm, tmp_path) -> list:
    """A recipe of every config in the registry, on stand-in sources where its schema
    depends on them (overlay-depth: one per depth mode)."""
    from conftest import i_him_recipe
    from mattehub.families.releases.options import ReleaseOptions
    from mattehub.families.releases.recipe import RELEASE_RECIPES
    from mattehub.families.surreal_alpha.options import SurrealAlphaOptions
    from mattehub.families.surreal_alpha.recipe import SurrealAlphaRecipe
    from mattehub.families.video_him.options import VideoHimOptions
    from mattehub.families.video_him.recipe import VideoHimRecipe

    recipes = [i_him_recipe(hhm), VideoHimRecipe(VideoHimOptions(data_dir="unused"), seed=0),
               SurrealAlphaRecipe(SurrealAlphaOptions(data_dir="unused", bg_root="unused"), seed=0)]
    recipes += [cls(ReleaseOptions(), seed=0) for cls in RELEASE_RECIPES.values()]
    recipes += _overlay_recipes(tmp_path)
    recipes += _duts_recipes(tmp_path)
    recipes += _aim_recipes(tmp_path)
    recipes += _videomatte_recipes()
    recipes += _p3m_recipes() + _am2k_recipes() + _aim500_recipes() + _ppm_recipes()
    recipes += _hub_mirror_recipes()
    recipes += [_d646_recipe(), _rwp_recipe()]
    assert {r.name for r in recipes} == set(CONFIG_NAMES)
    return recipes


def _videomatte_recipes() -> list:
    """The videomatte240k configs (their schemas need no sources)."""
    from mattehub.families.videomatte240k.options import VideoMatteCompOptions, VideoMatteOptions
    from mattehub.families.videomatte240k.recipe import VideoMatteCompRecipe, VideoMatteRecipe

    from mattehub.families.videomatte240k.options import RvmEvalOptions
    from mattehub.families.videomatte240k.rvm_eval import RvmEvalRecipe

    return [VideoMatteRecipe(VideoMatteOptions(data_dir="unused"), seed=0),
            VideoMatteCompRecipe(VideoMatteCompOptions(data_dir="unused", bg_root="unused"), seed=0),
            RvmEvalRecipe(RvmEvalOptions(data_dir="unused"), seed=0)]


def _p3m_recipes() -> list:
    """``p3m-10k`` and ``p3m-500``: their fields follow from the split, not from the files."""
    from mattehub.families.p3m.options import P3m500Options, P3mOptions
    from mattehub.families.p3m.recipe import P3m500Recipe, P3mRecipe

    return [P3mRecipe(P3mOptions(data_dir="unused"), seed=0),
            P3m500Recipe(P3m500Options(data_dir="unused"), seed=0)]


def _am2k_recipes() -> list:
    """``am-2k`` and ``am-2k-validation``: their fields follow from the split."""
    from mattehub.families.am2k.options import Am2kOptions, Am2kValidationOptions
    from mattehub.families.am2k.recipe import Am2kRecipe, Am2kValidationRecipe

    return [Am2kRecipe(Am2kOptions(data_dir="unused"), seed=0),
            Am2kValidationRecipe(Am2kValidationOptions(data_dir="unused"), seed=0)]


def _aim500_recipes() -> list:
    from mattehub.families.aim500.options import Aim500Options
    from mattehub.families.aim500.recipe import Aim500Recipe

    return [Aim500Recipe(Aim500Options(data_dir="unused"), seed=0)]


def _ppm_recipes() -> list:
    from mattehub.families.ppm.options import PpmOptions
    from mattehub.families.ppm.recipe import PpmRecipe

    return [PpmRecipe(PpmOptions(data_dir="unused"), seed=0)]


def _hub_mirror_recipes() -> list:
    """Both Hub-mirror configs (their schemas need no sources)."""
    from mattehub.families.hub_mirrors.options import HubAim500Options, HubHim2kOptions
    from mattehub.families.hub_mirrors.recipe import HubAim500Recipe, HubHim2kRecipe

    return [HubHim2kRecipe(HubHim2kOptions(data_dir="unused"), seed=0),
            HubAim500Recipe(HubAim500Options(data_dir="unused"), seed=0)]


def _d646_recipe():
    """distinctions-646 (its schema needs no sources)."""
    from mattehub.families.distinctions646.options import Distinctions646Options
    from mattehub.families.distinctions646.recipe import Distinctions646Recipe

    return Distinctions646Recipe(Distinctions646Options(data_dir="unused", bg_root="unused"), seed=0)


def _rwp_recipe():
    """rwp-636 (its schema needs no sources)."""
    from mattehub.families.rwp636.options import Rwp636Options
    from mattehub.families.rwp636.recipe import Rwp636Recipe

    return Rwp636Recipe(Rwp636Options(data_dir="unused"), seed=0)


def test_recipe_schemas_stay_inside_their_family(hhm, tmp_path):
    for recipe in _every_recipe(hhm, tmp_path):
        schema = recipe.schema()
        check_schema(schema)
        assert schema.family == recipe.family and schema.fields[-1].name == "meta"
        assert schema.family_fields == _families()[schema.family], recipe.name


def _datasets_own(feature):
    """``feature`` made of ``datasets``' own types, as the schema built features before
    mattehub declared its own (``mattehub.contract.features``)."""
    import datasets

    from mattehub.contract.features import Image, List, Value

    if isinstance(feature, dict):
        return {name: _datasets_own(value) for name, value in feature.items()}
    if isinstance(feature, List):
        return datasets.List(_datasets_own(feature.feature))
    if isinstance(feature, Image):
        return datasets.Image()
    assert isinstance(feature, Value), feature
    return datasets.Value(feature.dtype)


def test_features_built_without_datasets_are_what_datasets_builds(hhm, tmp_path):
    """Shard bytes depend on the Arrow schema and its ``huggingface`` metadata: the ones the
    writer builds without ``datasets`` must be ``datasets.Features``' own, for every config."""
    import datasets

    from mattehub.contract.features import feature_dict

    for recipe in _every_recipe(hhm, tmp_path):
        schema = recipe.schema()
        for columns, features in ((schema.parquet_columns(), schema.parquet_features()),
                                  (schema.wds_columns(), schema.wds_features())):
            own = datasets.Features(_datasets_own(columns))
            as_json = [json.dumps(d) for d in (feature_dict(columns), own.to_dict(), features.to_dict())]
            assert as_json[0] == as_json[1] == as_json[2], recipe.name  # key order included
            assert features == own, recipe.name
        arrow = schema.arrow_schema()
        expected = datasets.Features(_datasets_own(schema.parquet_columns())).arrow_schema
        assert arrow.equals(expected, check_metadata=True), recipe.name
        assert arrow.metadata == expected.metadata, recipe.name



def test_card_yaml_features_built_without_datasets_are_what_datasets_writes(hhm, tmp_path):
    """The card's ``dataset_info`` features, written without ``datasets``, are what
    ``datasets.Features._to_yaml_list`` writes, for every config and both formats."""
    import datasets

    from mattehub.contract.features import feature_dict, features_yaml

    for recipe in _every_recipe(hhm, tmp_path):
        schema = recipe.schema()
        for columns in (schema.parquet_columns(), schema.wds_columns()):
            expected = datasets.Features(_datasets_own(columns))._to_yaml_list()
            assert features_yaml(feature_dict(columns)) == expected, recipe.name

def _duts_recipes(tmp_path):
    """duts on the demo's DUTS stand-in, both splits (train read from DUTS-TR.zip)."""
    from mattehub.families.duts.standin import make_duts_sources
    from mattehub.families.duts.options import DutsOptions
    from mattehub.families.duts.recipe import DutsRecipe

    data_dir = str(make_duts_sources(tmp_path / "duts").data_dir)
    recipes = [DutsRecipe(DutsOptions(data_dir=data_dir, split=split), seed=0)
               for split in DutsRecipe.source_splits(data_dir)]
    for recipe in recipes:
        recipe.prepare()
    assert [r.available() for r in recipes] == [6, 3]
    return recipes


def _aim_recipes(tmp_path):
    """aim (train: fg, bg) and composition-1k (test: the published trimap) on the demo's
    stand-in."""
    from mattehub.families.aim.standin import make_aim_sources
    from mattehub.families.aim.composition_1k import Composition1kRecipe
    from mattehub.families.aim.options import AimOptions
    from mattehub.families.aim.recipe import AimRecipe

    src = make_aim_sources(tmp_path / "aim")
    recipes = [cls(AimOptions(data_dir=str(src.data_dir), bg_root=str(src.bg_root), num_bgs=2,
                              split=split), seed=0)
               for cls, split in ((AimRecipe, "train"), (Composition1kRecipe, "test"))]
    for recipe in recipes:
        recipe.prepare()
    assert [[f.name for f in r.schema().fields] for r in recipes] == [
        ["image", "alpha", "fg", "bg", "meta"], ["image", "alpha", "trimap", "meta"]]
    return recipes


def _overlay_recipes(tmp_path):
    """overlay-depth's schema depends on its sources: one prepared per depth mode."""
    from mattehub.families.overlay_depth.standin import make_overlay_sources
    from mattehub.families.overlay_depth.options import OverlayDepthOptions
    from mattehub.families.overlay_depth.recipe import OverlayDepthRecipe

    src = make_overlay_sources(tmp_path)
    recipes = []
    for depth, depth_root in (("none", None), ("exact", str(src.depth_root))):
        recipe = OverlayDepthRecipe(OverlayDepthOptions(bg_root=str(src.bg_root), fg_root=str(src.fg_root),
                                                        depth=depth, bg_depth_root=depth_root), seed=0)
        recipe.prepare()
        recipes.append(recipe)
    assert [("depth" in [f.name for f in r.schema().fields]) for r in recipes] == [False, True]
    return recipes
