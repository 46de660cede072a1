"""Options declared once: the same bad value is refused with the same message from the
command line, ``load_dataset("mattehub", ...)`` and the Python constructor; typed values
reach the recipes unparsed; the CLI's help and version import no data stack."""
from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
from dataclasses import replace

import datasets
import pyarrow.parquet as pq
import pytest

import mattehub
from mattehub.cli.main import main
from mattehub.core.errors import BuildError
from mattehub.families.overlay_depth.options import OverlayDepthOptions
from mattehub.families.registry import CONFIG_NAMES, config, recipe_class
from mattehub.families.image_him.options import ImageHimOptions
from mattehub.families.surreal_alpha.options import SurrealAlphaOptions
from mattehub.families.video_him.options import VideoHimOptions
from mattehub.families.configs import config_options, every_option, source_option
from mattehub.options.declare import KEY, Option, declared
from mattehub.cli.main import build_parser
from mattehub.streaming.builder import MattehubConfig
from mattehub.streaming.plan import source_recipe
from mattehub.cli.build import recipe_from_args

OVERLAY = {"bg_root": "BG", "fg_root": "FG"}
HHM = {"image_root": "HHM", "bg_root": "BG"}
SURREAL = {"data_dir": "SURREAL", "bg_root": "BG"}

BAD_VALUES = [
    # (config, options class, valid base values, bad values, command-line flags for them, message)
    ("overlay-depth", OverlayDepthOptions, OVERLAY, {"scales": (0.0, 5.0)}, ["--scales", "0,5"],
     "scales=(0.0, 5.0): give distinct scales in (0, 4] [--scales]"),
    ("overlay-depth", OverlayDepthOptions, OVERLAY, {"size": 4}, ["--size", "4"],
     "size=4: give a whole number from 8 to 4096 [--size]"),
    ("overlay-depth", OverlayDepthOptions, OVERLAY, {"device": "tpu"}, ["--device", "tpu"],
     "device='tpu': choose auto, cpu, cuda or cuda:N [--device]"),
    ("overlay-depth", OverlayDepthOptions, OVERLAY, {"depth": "exact"}, ["--depth", "exact"],
     "depth='exact' needs bg_depth_root=: a 16-bit PNG depth map in millimetres per "
     "background, named like it (<bg stem>.png) [--depth, --bg-depth-root]"),
    ("overlay-depth", OverlayDepthOptions, {"bg_root": "BG"}, {}, [],
     "overlay-depth needs bg_root= and fg_root= (synthesis), or data_dir=: a folder holding the "
     "original label_data.csv or Dataset.zip [--bg-root, --fg-root, --data-dir]"),
    ("i-him", ImageHimOptions, HHM, {"jpeg_quality": 101}, ["--jpeg-quality", "101"],
     "jpeg_quality=101: give a whole number from 1 to 100 [--jpeg-quality]"),
    ("i-him", ImageHimOptions, HHM, {"image_format": "bmp"}, ["--image-format", "bmp"],
     "image_format='bmp': choose from jpg, png [--image-format]"),
    ("i-him", ImageHimOptions, {"image_root": "HHM"}, {}, [],
     "i-him needs image_root= (the HHM folder with images/ and alphas/) and bg_root= (a folder "
     "of background images) [--bg-root]"),
    ("v-him", VideoHimOptions, {"data_dir": "VIDEO"}, {"level": "hardest"}, ["--level", "hardest"],
     "level='hardest': choose from easy, medium, hard, mix, release [--level]"),
    ("surreal-alpha", SurrealAlphaOptions, SURREAL, {"num_bgs": 0}, ["--num-bgs", "0"],
     "num_bgs=0: give a whole number >= 1 [--num-bgs]"),
    ("surreal-alpha", SurrealAlphaOptions, SURREAL, {"layout": "square"}, ["--layout", "square"],
     "layout='square': choose from native, dim [--layout]"),
    ("surreal-alpha", SurrealAlphaOptions, SURREAL, {"bg_size": 320}, ["--bg-size", "320"],
     "bg_size=320: give a whole number from 640 to 4096 [--bg-size]"),
    ("v-him", VideoHimOptions, {"data_dir": "VIDEO"}, {"max_frames": 1}, ["--max-frames", "1"],
     "max_frames=1: give a whole number >= 2 [--max-frames]"),
]


def _flags(values: dict) -> list[str]:
    return [arg for key, value in values.items() for arg in ("--" + key.replace("_", "-"), value)]


@pytest.mark.parametrize("name, cls, base, bad, flags, message", BAD_VALUES)
def test_a_bad_value_is_refused_identically_by_every_route(tmp_path, capsys, name, cls, base,
                                                           bad, flags, message):
    with pytest.raises(BuildError) as python:
        cls(**base, **bad)
    assert str(python.value) == message

    kwargs = {k: v for k, v in base.items() if k != source_option(name)}
    with pytest.raises(BuildError) as loading:
        datasets.load_dataset("mattehub", name, data_dir=base.get(source_option(name)),
                              streaming=True, **kwargs, **bad)
    assert str(loading.value).startswith(message)
    with pytest.raises(BuildError) as streaming:
        mattehub.stream(name, base.get(source_option(name)), **kwargs, **bad)
    assert str(streaming.value) == str(loading.value)

    code = main(["build", name, "--out", str(tmp_path / "out"), *_flags(base), *flags])
    err = capsys.readouterr().err
    assert code == 2 and err == f"mattehub: error: {message}\n"
    assert not (tmp_path / "out").exists()


def test_overlay_depth_streams_with_typed_scales(overlay_tree, tmp_path):
    """Typed values go straight to the options: a tuple of scales, not a comma string."""
    common = dict(bg_root=str(overlay_tree.bg_root), fg_root=str(overlay_tree.fg_root),
                  size=64, num_samples=6)
    streamed = list(datasets.load_dataset("mattehub", "overlay-depth", data_dir=None,
                                          scales=(1.0, 0.5), split="train", streaming=True,
                                          **common).decode(False))
    out = tmp_path / "out"
    assert main(["build", "overlay-depth", "--out", str(out), "--no-progress", "--scales",
                 "1.0,0.5", "--bg-root", common["bg_root"], "--fg-root", common["fg_root"],
                 "--size", "64", "--num-samples", "6"]) == 0
    built = [row for path in sorted((out / "overlay-depth").glob("train-*.parquet"))
             for row in pq.read_table(path).to_pylist()]
    assert streamed == built and len(built) == 6
    assert {row["meta"]["scale"] for row in streamed} <= {1.0, 0.5}


def test_surreal_alpha_checks_its_options_in_python():
    with pytest.raises(BuildError, match=r"^num_bgs=0: give a whole number >= 1 \[--num-bgs\]$"):
        SurrealAlphaOptions(data_dir="S", bg_root="B", num_bgs=0)
    with pytest.raises(BuildError, match=r"^data_dir='hf://x': give a local folder, not a URL"):
        SurrealAlphaOptions(data_dir="hf://x", bg_root="B")


def test_lists_and_paths_are_normalised(tmp_path):
    options = OverlayDepthOptions(bg_root=tmp_path, fg_root=tmp_path, scales=[1, 0.5])
    assert options.scales == (1.0, 0.5) and options.bg_root == str(tmp_path)


def _declared_by_config() -> dict[str, dict[str, Option]]:
    """Config -> {keyword: declaration} read straight from the options classes' field
    metadata and the registry's ``reads`` (not through ``families.configs``)."""
    out = {}
    for name in CONFIG_NAMES:
        line = config(name)
        out[name] = {}
        for item in dataclasses.fields(line.options_class()):
            option = item.metadata.get(KEY)
            if option is None or (line.reads is not None and item.name not in line.reads):
                continue
            flag = option.flag or "--" + item.name.replace("_", "-")
            out[name][option.dest or flag[2:].replace("-", "_")] = replace(option, flag=flag)
    return out


def _cli_value(option: Option) -> list[str]:
    if option.switch:
        return []
    if option.choices:
        return [str(option.choices[0])]
    return ["1" if option.parse is not None else "x"]


def test_every_declared_option_is_a_flag_a_keyword_and_refused_where_not_read(tmp_path, capsys):
    """Each declared option appears in the build parser and as a builder keyword, and every
    config that does not read it refuses it, by keyword and by flag."""
    by_config = _declared_by_config()
    build = next(action for action in build_parser()._actions
                 if isinstance(action, argparse._SubParsersAction)).choices["build"]
    flags = {flag for action in build._actions for flag in action.option_strings}
    keywords = {item.name for item in dataclasses.fields(MattehubConfig)}
    every = {key: option for own in by_config.values() for key, option in own.items()}
    assert {"no_flip", "no_fg", "scales", "bg_root", "mask_set", "clip_length"} <= set(every)
    for key, option in every.items():
        assert option.flag in flags, key
        assert key in keywords, key
        for name, own in by_config.items():
            if key in own:
                continue
            with pytest.raises(BuildError, match=rf"^{key}= does not apply to {name}; its own"):
                source_recipe(name, None, "train", {key: "x"})
            code = main(["build", name, "--out", str(tmp_path), option.flag, *_cli_value(option)])
            err = capsys.readouterr().err
            assert code == 2 and f"{option.flag} does not apply to {name}" in err, (key, name, err)
    assert not any(tmp_path.iterdir())


def test_each_option_is_declared_once_and_generates_the_keywords():
    for name in CONFIG_NAMES:
        for key, (field, option) in config_options(name).items():
            assert option.name == key and option.help
            shared = every_option()[key]
            assert (shared.flag, shared.help) == (option.flag, option.help), (name, key)
    assert "no_fg" in config_options("i-him") and "mask_set" not in config_options("him2k")
    assert list(config_options("composition-1k")) == ["data_dir", "bg_root"]  # bg_root: Adobe's release (VOC backgrounds)


def _probe(code: str) -> str:
    """The last line ``python -c CODE`` prints (a fresh interpreter)."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def test_registry_loads_recipes_on_demand():
    probe = ("import sys; from mattehub.families import registry; "
             "from mattehub.families.configs import every_option; every_option(); "
             "print(sorted(m for m in sys.modules if m.endswith('.recipe')))")
    assert _probe(probe) == "[]"
    assert recipe_class("v-him60").name == "v-him60"
    assert config("aim").options_class() is config("composition-1k").options_class()
    with pytest.raises(BuildError, match="unknown config 'nope'"):
        recipe_class("nope")


HEAVY = ("datasets", "pandas", "pyarrow", "torch", "scipy", "numpy", "cv2")


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["build", "--help"]])
def test_help_and_version_import_no_data_stack(argv):
    probe = (f"import sys\nfrom mattehub.cli.main import main\n"
             f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
             f"print('HEAVY', sorted(m for m in {HEAVY!r} if m in sys.modules))")
    assert _probe(probe) == "HEAVY []"


def test_the_library_does_not_import_the_cli():
    probe = ("import sys, datasets, mattehub\n"
             "from mattehub.streaming import builder, plan, loading\n"
             "print(sorted(m for m in sys.modules if m.startswith('mattehub.cli')))")
    assert _probe(probe) == "[]"


def test_declared_flags_are_unique_per_config():
    for name in CONFIG_NAMES:
        flags = [option.flag for option in declared(config(name).options_class()).values()]
        assert len(flags) == len(set(flags)), name


def test_on_off_values_are_bools_on_every_route(overlay_tree):
    """A switch is ``no_X=True`` as a keyword, ``--no-X`` on the command line and the field
    ``X=False`` in Python; text such as "yes" is refused on each route."""
    with pytest.raises(BuildError, match=r"^flip='yes': give True or False \[--no-flip\]$"):
        OverlayDepthOptions(**OVERLAY, flip="yes")
    with pytest.raises(BuildError, match=r"^no_flip='yes': give True or False \[--no-flip\]$"):
        mattehub.stream("overlay-depth", None, **OVERLAY, no_flip="yes")
    with pytest.raises(BuildError, match=r"^no_fg=1: give True or False \[--no-fg\]$"):
        datasets.load_dataset("mattehub", "i-him", data_dir="HHM", bg_root="BG", no_fg=1,
                              streaming=True)
    assert source_recipe("overlay-depth", None, "train", {**OVERLAY, "no_flip": True}).options.flip is False
    assert source_recipe("overlay-depth", None, "train", {**OVERLAY, "no_flip": False}).options.flip is True
    args = build_parser().parse_args(["build", "overlay-depth", "--out", "o", "--no-flip",
                                      "--bg-root", "BG", "--fg-root", "FG"])
    assert recipe_from_args(args, "train").options.flip is False


@pytest.mark.parametrize("config_name, field, keyword, flag", [
    ("overlay-depth", "flip", "no_flip", "--no-flip"), ("i-him", "with_fg", "no_fg", "--no-fg")])
def test_an_on_off_field_name_as_keyword_points_to_its_keyword(config_name, field, keyword, flag):
    message = (rf"^{field}= is not an option of {config_name}: an on/off option takes its "
               rf"flag's name, give {keyword}=True to turn it off \[{flag}\]$")
    with pytest.raises(BuildError, match=message):
        datasets.load_dataset("mattehub", config_name, data_dir="D", streaming=True, **{field: False})
    with pytest.raises(BuildError, match=message):
        mattehub.stream(config_name, "D", **{field: False})


def test_a_misspelled_keyword_gets_mattehubs_message_with_a_suggestion():
    message = (r"^sclaes= is not an option of overlay-depth \(did you mean scales=\?\); its "
               r"options: data_dir=, bg_root=, .*scales=.*; options of every config: seed=, "
               r"num_samples=, with_fields=, trimap_kind=$")
    with pytest.raises(BuildError, match=message):
        datasets.load_dataset("mattehub", "overlay-depth", streaming=True, **OVERLAY, sclaes=(1.0,))
    with pytest.raises(BuildError, match=message):
        mattehub.stream("overlay-depth", None, **OVERLAY, sclaes=(1.0,))
    with pytest.raises(BuildError, match=r"^zzz= is not an option of duts; its options: data_dir="):
        mattehub.stream("duts", "D", zzz=1)


def test_text_for_a_typed_option_says_strings_are_parsed_only_on_the_command_line():
    with pytest.raises(BuildError, match=r"^scales='1,0.5': give a tuple of numbers such as "
                                         r"\(1.0, 0.5\) \(strings are parsed only on the command "
                                         r"line\) \[--scales\]$"):
        mattehub.stream("overlay-depth", None, **OVERLAY, scales="1,0.5")
    with pytest.raises(BuildError, match=r"^size='64': give a whole number from 8 to 4096 "
                                         r"\(strings are parsed only"):
        OverlayDepthOptions(**OVERLAY, size="64")


def _build_help(capsys) -> str:
    with pytest.raises(SystemExit):
        main(["build", "--help"])
    return capsys.readouterr().out


def test_build_help_says_what_each_config_needs_once(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    text = _build_help(capsys)
    flat = " ".join(text.split())
    for needs in ("needs --bg-root and --fg-root (synthesis), or --data-dir (the original dataset)",
                  "needs --image-root and --bg-root", "needs --data-dir and --bg-root",
                  "needs nothing (every option has a default)"):
        assert needs in flat, needs
    assert flat.count("folder of the zips (split or not)") == 1
    assert flat.count("the Adobe Image Matting dataset is published by Adobe") == 1
    assert text.count("--no-progress") == 1
    assert not any(f"{name}: " in flat for name in ("overlay-depth", "i-him", "v-him", "surreal-alpha"))
    assert "(default: 224)" in flat and "(default: 1.0,0.8,0.6,0.4)" in flat
    assert "--num-bgs: default 100" in flat and "--num-bgs: default 1" in flat


def test_each_default_is_written_once():
    """The help adds "(default: X)" from the field; no declaration writes its own."""
    for name in CONFIG_NAMES:
        for field, option in declared(config(name).options_class()).items():
            if option.default is not None and not option.switch and not option.follows:
                assert "(default:" not in option.help, (name, field)
    build = next(action for action in build_parser()._actions
                 if isinstance(action, argparse._SubParsersAction)).choices["build"]
    for action in build._actions:
        assert (action.help or "").count("(default:") <= 1, action.option_strings


def test_split_is_declared_once_and_defaults_to_the_configs_split():
    from mattehub.cli.arguments import split_of

    parser = build_parser()
    assert split_of(parser.parse_args(["stats", "composition-1k", "F"])) == "test"
    assert split_of(parser.parse_args(["stats", "aim", "F"])) == "train"
    assert split_of(parser.parse_args(["evaluate", "composition-1k", "--data-dir", "D",
                                       "--pred", "P"])) == "test"
    assert split_of(parser.parse_args(["export", "overlay-depth", "F", "--out", "O"])) == "train"
    assert split_of(parser.parse_args(["stats", "aim", "F", "--split", "test"])) == "test"
    commands = next(action for action in parser._actions
                    if isinstance(action, argparse._SubParsersAction)).choices
    for name, sub in commands.items():
        for action in sub._actions:
            if "--split" in action.option_strings:
                assert action.default is None and action.metavar == "SPLIT", name
            if "--no-progress" in action.option_strings:
                assert action.help == "hide progress bars", name
