"""From declared options to a config's options and recipe: what the CLI and the builder share.

``mattehub build CONFIG --flag V`` and ``load_dataset("mattehub", CONFIG, name=V)`` both come
here with a dict of given options by keyword name (``bg_root``, ``no_fg``): options of other
configs are refused (one wording, spelled as flags or keywords), the rest go to the config's
options class, whose constructor checks them. So a stream makes exactly the samples a build
makes, and a bad value is refused with one message whichever route it came by.
"""
from __future__ import annotations

import difflib
from dataclasses import fields
from typing import Any, Callable

from mattehub.core.errors import BuildError
from mattehub.families.registry import CONFIG_NAMES, config
from mattehub.options.declare import ON_OFF, Option, OptionError, declared, option_message, split_error
from mattehub.options.run import RunOptions

Spell = Callable[[Option], str]


def as_flag(option: Option) -> str:
    """An option as the command line spells it (``--bg-root``)."""
    return option.flag


def as_keyword(option: Option) -> str:
    """An option as ``load_dataset`` spells it (``bg_root=``)."""
    return option.name + "="


def config_options(name: str) -> dict[str, tuple[str, Option]]:
    """The options config ``name`` reads: keyword name -> (options field, declaration)."""
    line = config(name)
    return {option.name: (field, option) for field, option in declared(line.options_class()).items()
            if line.reads is None or field in line.reads}


def every_option() -> dict[str, Option]:
    """Every config option by keyword name, in registry order (shared ones once)."""
    out: dict[str, Option] = {}
    for name in CONFIG_NAMES:
        for key, (_, option) in config_options(name).items():
            out.setdefault(key, option)
    return out


def run_options() -> dict[str, Option]:
    """The run options (``seed``, ``num_samples``, ``with_fields``, ``trimap_kind``)."""
    return {option.name: option for option in declared(RunOptions).values()}


def source_option(name: str) -> str:
    """The keyword name ``load_dataset(..., data_dir=D)`` fills for config ``name``."""
    return next(key for key, (_, option) in config_options(name).items() if option.source)


def refuse_unknown(name: str, given: list[str]) -> None:
    """Refuse keywords in ``given`` that are neither an option of any config nor a run
    option (``sclaes=``), suggesting the closest of config ``name``'s own; an on/off
    field's own name (``flip=``) points to its keyword (``no_flip=True``)."""
    every, run = every_option(), run_options()
    unknown = [key for key in given if key not in every and key not in run]
    if not unknown:
        return
    key = unknown[0]
    own = config_options(name)
    switch = next((option for field, option in own.values() if option.switch and field == key), None)
    if switch is not None:
        raise BuildError(f"{key}= is not an option of {name}: an on/off option takes its "
                         f"flag's name, give {switch.name}=True to turn it off [{switch.flag}]")
    close = difflib.get_close_matches(key, [*own, *run], n=1)
    hint = f" (did you mean {close[0]}=?)" if close else ""
    listed = ", ".join(k + "=" for k in own) or "none"
    raise BuildError(f"{key}= is not an option of {name}{hint}; its options: {listed}; "
                     f"options of every config: {', '.join(k + '=' for k in run)}")


def refuse_foreign(name: str, given: list[str], spell: Spell) -> None:
    """Refuse options in ``given`` (keyword names) that config ``name`` does not read."""
    refuse_unknown(name, given)
    own, every = config_options(name), every_option()
    foreign = sorted(key for key in given if key not in own)
    if foreign:
        listed = ", ".join(spell(every[key]) for key in foreign)
        mine = ", ".join(spell(own[key][1]) for key in sorted(own)) or "none"
        verb = "does" if len(foreign) == 1 else "do"
        raise BuildError(f"{listed} {verb} not apply to {name}; its own options: {mine}")


def options_for(name: str, values: dict[str, Any], split: str) -> Any:
    """Config ``name``'s options from ``values`` (keyword names, already refused if foreign)
    for ``split``: a switch (``no_fg=True``) clears its field, fields that follow the split
    (``list_split``) take it when not given, and the constructor checks everything."""
    own = config_options(name)
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        field, option = own[key]
        if option.switch and not isinstance(value, bool):
            raise OptionError(option_message(key, ON_OFF, [option.flag], value))
        kwargs[field] = (not value) if option.switch else value
    cls = config(name).options_class()
    for field, option in declared(cls).items():
        if option.follows == "split" and field not in kwargs:
            kwargs[field] = split
    if "split" in {item.name for item in fields(cls)}:
        kwargs["split"] = split
    return cls(**kwargs)


def recipe_for(name: str, values: dict[str, Any], split: str, run: RunOptions) -> Any:
    """The recipe of config ``name`` for ``split`` made from given option ``values`` (keyword
    names) and ``run`` (seed, added trimap): what ``mattehub build`` and the builder make."""
    recipe_cls = config(name).recipe_class()
    allowed = getattr(recipe_cls, "splits", None)
    if isinstance(allowed, tuple) and split not in allowed:
        raise split_error(name, tuple(allowed), split)
    recipe = recipe_cls(options_for(name, values, split), seed=run.seed)
    if run.trimap:
        from mattehub.recipes.with_trimap import WithTrimap

        recipe = WithTrimap(recipe, run.trimap)
    return recipe
