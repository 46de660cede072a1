"""Build options declared once: a dataclass field that carries its flag, help, parser and checks.

A config's options class is a frozen dataclass deriving from ``Options``; each option is a
field made with ``opt(...)``. From those declarations alone come the ``mattehub build``
flags (``cli/build.py``), the ``load_dataset("mattehub", CONFIG, **kwargs)`` keyword
arguments (``streaming/builder.py``) and the "does not apply" refusals
(``families/configs.py``). Strings are parsed only on the command line (``parse``); Python
callers pass typed values, and every route ends in the dataclass constructor, whose
``__post_init__`` runs the same checks, so a bad value is refused with the same message
whichever way it came in. Nothing here imports numpy, cv2 or ``datasets``: building the CLI
parser stays cheap.
"""
from __future__ import annotations

import os
from dataclasses import MISSING, Field, dataclass, field, fields, is_dataclass, replace
from typing import Any, Callable

from mattehub.core.errors import BuildError

KEY = "mattehub.option"
"""Field metadata key holding a field's ``Option``."""

Check = Callable[[Any], "str | None"]
"""A per-value check: None when the value is fine, else what is wrong (``give ...``)."""


@dataclass(frozen=True)
class Option:
    """What one declared option means to the CLI, ``load_dataset`` and the checks."""

    flag: str
    """The command-line flag (``--bg-root``); ``--no-X`` makes a switch that stores False."""
    help: str
    parse: Callable[[str], Any] | None = None
    """Command line only: the text to a typed value (a ValueError is argparse's message)."""
    choices: tuple | None = None
    metavar: str | None = None
    check: Check | None = None
    required: str | None = None
    """What the option is, when a config cannot do without it ("a folder of ...")."""
    path: bool = False
    """A source location: recorded by public name only, left out of the fingerprint."""
    follows: str | None = None
    """A run value (``split``) this option takes when it is not given."""
    source: bool = False
    """The field ``load_dataset(..., data_dir=D)`` fills."""
    note: str | None = None
    """What a shared option means for this config (shown in the config's help group)."""
    coerce: Callable[[Any], Any] | None = None
    """Python values normalised before the checks (a list of scales to a tuple)."""
    many: bool = False
    """Repeatable on the command line (``--with trimap``); a tuple in Python."""
    dest: str | None = None
    """The keyword argument, when it is not the flag's name (``--with``: ``with_fields``)."""
    default: Any = None
    """The field's default, None when it has none (the help adds "(default: X)" from it:
    each default is written once)."""

    @property
    def name(self) -> str:
        """The keyword argument and argparse destination (``bg_root``, ``no_fg``)."""
        return self.dest or self.flag[2:].replace("-", "_")

    @property
    def switch(self) -> bool:
        """A ``--no-X`` flag: given means the field is False."""
        return self.flag.startswith("--no-")


def opt(default: Any = MISSING, *, help: str, flag: str | None = None, **details: Any) -> Any:
    """A dataclass field declaring a build option (``details``: the ``Option`` fields).

    ``flag`` defaults to the field name (``bg_root`` -> ``--bg-root``); it is filled in by
    ``declared`` once the field's name is known. An option that is ``required`` defaults to
    None and the options class refuses None with a message saying what it needs."""
    if details.get("required") and default is MISSING:
        default = None
    option = Option(flag=flag or "", help=help, default=None if default is MISSING else default,
                    **details)
    return field(default=default, metadata={KEY: option})


def declared(cls: type) -> dict[str, Option]:
    """The options of an options class, by field name (flags filled in), in field order."""
    out = {}
    for item in fields(cls):
        option = item.metadata.get(KEY)
        if option is not None:
            out[item.name] = option if option.flag else _named(option, item)
    return out


def _named(option: Option, item: Field) -> Option:
    return replace(option, flag="--" + item.name.replace("_", "-"))


def path_fields(cls: type) -> tuple[str, ...]:
    """The fields of options class ``cls`` that name source locations (``path=True``)."""
    if not is_dataclass(cls):
        return ()
    return tuple(name for name, option in declared(cls).items() if option.path)


def flag_of(cls: type, field_name: str) -> str:
    """The flag of field ``field_name`` of ``cls`` (for messages)."""
    return declared(cls)[field_name].flag


def option_message(name: str, problem: str, flags: list[str], value: Any = MISSING) -> str:
    """The one wording of a refused option, the same from the CLI, ``load_dataset`` and
    Python: the keyword spelling first, the command-line flags last, e.g.
    ``num_bgs=0: give a whole number >= 1 [--num-bgs]``."""
    subject = name if value is MISSING else f"{name}={value!r}"
    return f"{subject}: {problem} [{', '.join(flags)}]"


class OptionError(BuildError):
    """An option value refused by its options class: the message is the same whichever
    route (CLI, ``load_dataset``, Python) the value came by."""


def split_error(config: str, splits: tuple[str, ...], split: str, detail: str = "") -> OptionError:
    """The refusal of ``split`` by a config that has only ``splits`` (``detail``: what they
    are, e.g. "(DUTS-TR, DUTS-TE)")."""
    names = f"split{'s' if len(splits) > 1 else ''} {', '.join(splits)}{' ' + detail if detail else ''}"
    return OptionError(f"{config} has the {names}, not {split!r} [--split]")


class Options:
    """Base of every options dataclass: ``__post_init__`` normalises and checks each option,
    then runs ``validate`` (cross-field checks, overridden by configs that have some)."""

    config: str = "this config"
    """The config name used in messages (set by each options class)."""
    needs: str | None = None
    """What the config needs, in its own words, when a required option is missing (default:
    each missing option and its ``required`` text)."""

    requires: str | None = None
    """What ``mattehub build --help`` says the config cannot do without, in flags, when
    that is more than its ``required`` options (overlay-depth: one of two sets)."""

    def __post_init__(self) -> None:
        options = declared(type(self))
        self._require(options)
        for name, option in options.items():
            value = getattr(self, name)
            if value is None:
                continue
            value = _normalised(option, value)
            object.__setattr__(self, name, value)
            problem = problem_of(option, value)
            if problem:
                raise OptionError(option_message(name, problem, [option.flag], value))
        self.validate()

    def _require(self, options: dict[str, Option]) -> None:
        """Refuse missing required options. A ``BuildError``, not an ``OptionError``: no value
        is wrong, so ``load_dataset`` may add where it looked for built shards instead."""
        missing = [(name, option) for name, option in options.items()
                   if option.required and getattr(self, name) is None]
        if not missing:
            return
        flags = [option.flag for _, option in missing]
        if self.needs:
            raise BuildError(f"{self.config} needs {self.needs} [{', '.join(flags)}]")
        if len(missing) == 1:
            name, option = missing[0]
            raise BuildError(f"{self.config} needs {name}=: {option.required} [{flags[0]}]")
        wanted = " and ".join(f"{name}= ({option.required})" for name, option in missing)
        raise BuildError(f"{self.config} needs {wanted} [{', '.join(flags)}]")

    def validate(self) -> None:
        """Cross-field checks; raise ``OptionError`` (see ``refuse``)."""

    def refuse(self, problem: str, *names: str) -> None:
        """Raise the cross-field problem ``problem`` naming the options ``names`` (fields)."""
        raise OptionError(f"{problem} [{', '.join(flag_of(type(self), n) for n in names)}]")


def _normalised(option: Option, value: Any) -> Any:
    if option.coerce is not None:
        return option.coerce(value)
    if option.many and isinstance(value, (list, tuple)):
        return tuple(value)
    if option.path and isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


ON_OFF = "give True or False"
"""What a switch (``--no-X``) takes in Python: a bool, never a string such as "yes"."""
TYPED = "strings are parsed only on the command line"
"""Added to a refusal when a Python caller passed text where a typed value is wanted."""


def problem_of(option: Option, value: Any) -> str | None:
    """What is wrong with ``value`` for ``option`` (None: nothing). A switch takes a bool;
    text given for an option the command line parses (a number, a list) is named as such."""
    if option.switch:
        return None if isinstance(value, bool) else ON_OFF
    values = value if option.many and isinstance(value, tuple) else (value,)
    if option.choices is not None and any(v not in option.choices for v in values):
        return f"choose from {', '.join(map(str, option.choices))}"
    problem = option.check(value) if option.check is not None else None
    if problem and option.parse is not None and isinstance(value, str):
        problem = f"{problem} ({TYPED})"
    return problem
