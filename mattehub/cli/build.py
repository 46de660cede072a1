"""``mattehub build`` and ``mattehub finalize``: their parsers and what they run.

The config options of ``build`` are generated from the options classes
(``mattehub.options``): one group for the options several configs share, one per config
for its own. Argparse only turns text into typed values here; refusals and checks happen
in ``families.configs`` and the options classes, as for ``load_dataset``.
"""
from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

from mattehub.cli.arguments import add_no_progress, add_split, split_of
from mattehub.core.errors import BuildError
from mattehub.families.configs import (as_flag, config_options, every_option, recipe_for,
                                       refuse_foreign, run_options)
from mattehub.families.registry import CONFIG_NAMES, config
from mattehub.options.argtypes import int_in, positive_int
from mattehub.options.declare import Option
from mattehub.options.run import RunOptions
from mattehub.streaming.plan import config_splits

def add_option(group, option: Option, extra: str | None = None) -> None:
    """One declared option as an argparse argument (default None: "not given"). Choices are
    shown, not enforced: the options class refuses a bad one with the shared message. The
    help ends with the field's default (or ``extra``, when the caller says more)."""
    shown = option.metavar or ("{" + ",".join(map(str, option.choices)) + "}" if option.choices else None)
    text = option.help + (extra if extra is not None else _default_note(option))
    if option.switch:
        group.add_argument(option.flag, dest=option.name, action="store_true", default=None,
                           help=text)
    elif option.many:
        group.add_argument(option.flag, dest=option.name, action="append", default=None,
                           metavar=shown, help=text)
    else:
        group.add_argument(option.flag, dest=option.name, type=option.parse or str,
                           default=None, metavar=shown, help=text)


def _default_note(option: Option) -> str:
    """`` (default: X)`` from the field's default, unless the help already says it."""
    default = _default(option)
    return f" (default: {default})" if default and "(default:" not in option.help else ""


def _default(option: Option) -> str | None:
    """The field's default as the command line spells it (a tuple as a comma list), or None
    (a switch, no default, or None: the help says what happens then)."""
    value = option.default
    if option.switch or value is None:
        return None
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """Every config's options: those several options classes read in one group (each
    saying which configs read it), then one group per options class (``aim`` and
    ``composition-1k`` share one, the five releases another) saying what its configs need,
    the shared options they read and what those mean to them, then their own options."""
    readers: dict[str, list[str]] = {}
    by_class: dict[type, list[str]] = {}
    for name in CONFIG_NAMES:
        by_class.setdefault(config(name).options_class(), []).append(name)
        for key in config_options(name):
            readers.setdefault(key, []).append(name)
    home = {name: cls for cls, names in by_class.items() for name in names}
    shared = {key for key, names in readers.items() if len({home[n] for n in names}) > 1}
    group = parser.add_argument_group("options several configs read")
    for key, option in every_option().items():
        if key in shared:
            defaults = {_default(config_options(n)[key][1]) for n in readers[key]}
            default = _default_note(option) if len(defaults) == 1 else ""  # else: in each group
            add_option(group, option, f"{default} (read by {_configs(readers[key])})")
    for cls, names in by_class.items():
        own = {key: item for name in names for key, item in config_options(name).items()}
        group = parser.add_argument_group(f"{', '.join(names)} options",
                                          _class_notes(cls, names, own, shared, readers))
        for key, (_, option) in own.items():
            if key not in shared:
                add_option(group, option, _default_note(option) + _subset(readers[key], names))


def _configs(names: list[str]) -> str:
    """``names`` as short as possible: "every config but i-him" when that is shorter."""
    others = [name for name in CONFIG_NAMES if name not in names]
    return f"every config but {', '.join(others)}" if len(others) <= 2 else ", ".join(names)


def _subset(readers: list[str], names: list[str]) -> str:
    """`` (m-him2k)`` when only some of a group's configs read an option."""
    some = [name for name in names if name in readers]
    return f" ({', '.join(some)})" if len(some) < len(names) else ""


def _class_notes(cls: type, names: list[str], own: dict, shared: set[str],
                 readers: dict[str, list[str]]) -> str:
    """A group's text: what its configs need, the shared options they read, and what those
    mean to them (their ``required`` or ``note`` text and their default where configs differ)."""
    required = [option.flag for _, option in own.values() if option.required]
    needs = cls.requires or " and ".join(required) or "nothing (every option has a default)"
    lines = [f"needs {needs}"]
    mine = sorted((option.flag, key) for key, (_, option) in own.items() if key in shared)
    if mine:
        lines.append("also reads " + ", ".join(flag + _subset(readers[key], names)
                                               for flag, key in mine))
    for flag, key in mine:
        option = own[key][1]
        defaults = {_default(config_options(n)[key][1]) for n in readers[key]}
        default = _default(option) if len(defaults) > 1 else None
        if option.required or option.note:
            lines.append(f"{flag}: {option.required or option.note}"
                         + (f" (default: {default})" if default else ""))
        elif default:
            lines.append(f"{flag}: default {default}")
    return "\n".join(textwrap.fill(line, 78, initial_indent="  ", subsequent_indent="    ")
                     for line in lines)


def add_build_parser(commands) -> None:
    """``mattehub build CONFIG --out OUT [options]``."""
    parser = commands.add_parser("build", help="synthesise or convert one config into shards",
                                 usage="mattehub build CONFIG --out OUT [options]",
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", choices=CONFIG_NAMES, help="config to build")
    parser.add_argument("--out", required=True, type=_location, metavar="OUT",
                        help="output folder (shared by configs), or an fsspec URL "
                             "(s3://bucket/shards, hf://datasets/you/x): shards are staged "
                             "locally and uploaded, their stats last")
    add_split(parser, "split name (default: the config's default split); all: every split "
                      "the config's sources have, one after another")
    parser.add_argument("--workers", type=positive_int, default=1, metavar="N",
                        help="worker processes, each writing whole shards (fewer shards than "
                             "workers: several processes per shard); output is identical for "
                             "any count; use several shards per worker, or the last shards "
                             "leave workers idle (default: %(default)s)")
    parser.add_argument("--format", dest="formats", type=_formats, metavar="LIST",
                        help="comma list of parquet,webdataset (default: both)")
    parser.add_argument("--max-samples-per-shard", type=positive_int, default=1000, metavar="N",
                        help="ids per shard: shard n holds ids n*N..(n+1)*N-1 (default: %(default)s)")
    parser.add_argument("--max-bytes-per-shard", type=positive_int, default=None, metavar="BYTES",
                        help="payload bytes per shard, met on average: ids per shard become "
                             "BYTES / (1.25 x the mean payload of the first 8 samples), at most "
                             "--max-samples-per-shard; shards still above BYTES are listed "
                             "(default: no byte limit)")
    parser.add_argument("--row-group-bytes", type=positive_int, default=16 * 2**20, metavar="BYTES",
                        help="Parquet row group size in payload bytes (default: %(default)s, 16 MiB)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an earlier build of this config/split made with other options")
    add_no_progress(parser)
    for option in run_options().values():
        add_option(parser, option)
    _add_scale_arguments(parser)
    add_config_options(parser)
    add_http_arguments(parser)


def add_http_arguments(parser: argparse.ArgumentParser) -> None:
    """``--http-timeout`` and ``--http-retries`` (commands that may read remote sources)."""
    group = parser.add_argument_group("remote sources (http(s)://, hf://)")
    group.add_argument("--http-timeout", type=float, metavar="SECONDS",
                       help="connect/read timeout of each HTTP request (default: "
                            "$MATTEHUB_HTTP_TIMEOUT or 30)")
    group.add_argument("--http-retries", type=int_in(0, 20), metavar="N",
                       help="retries of a failed HTTP request (default: $MATTEHUB_HTTP_RETRIES or 2)")


def _formats(text: str) -> tuple[str, ...]:
    from mattehub.build.run import FORMATS

    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [name for name in chosen if name not in FORMATS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"formats are a comma list of {', '.join(FORMATS)}")
    return chosen


def _location(text: str) -> str | Path:
    """A local folder (Path) or an fsspec URL (kept as text: Path would fold its //)."""
    from mattehub.output.target import is_url

    return text if is_url(text) else Path(text)


def _range(text: str):
    from mattehub.build.plan import parse_range

    try:
        return parse_range(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_scale_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "scaling out (every build's shards are fixed in advance: shard n holds ids "
        "n*S..(n+1)*S-1, S = --max-samples-per-shard, or what --max-bytes-per-shard makes of it)")
    group.add_argument("--distributor", choices=("local", "ray"), default="local",
                       help="ray: one Ray task per missing shard, retried if its worker dies "
                            "(pip install 'mattehub[ray]'); output identical to a local build")
    group.add_argument("--ray-address", metavar="ADDRESS", help="Ray cluster to use (default: RAY_ADDRESS, else a "
                                             "local Ray instance on this machine's CPUs)")
    group.add_argument("--index-range", type=_range, metavar="A:B",
                       help="write only the shards of ids A..B-1 (on shard boundaries), e.g. "
                            "one Slurm array task; the range that completes the split (or "
                            "`mattehub finalize OUT`) writes the summary, card and preview")
    group.add_argument("--shard-range", type=_range, metavar="A:B",
                       help="write only shards A..B-1 (same as --index-range, in shard numbers)")


def add_finalize_parser(commands) -> None:
    """``mattehub finalize OUT``."""
    parser = commands.add_parser(
        "finalize", help="write summaries, cards and previews once every ranged shard exists",
        description="After `mattehub build ... --index-range A:B` runs (several machines, one "
                    "shared OUT): check every planned shard of every split is complete (sizes "
                    "and sha256) and write its split summary, wids index, preview and the "
                    "cards; otherwise list the missing shards and their --index-range.")
    parser.add_argument("folder", type=_location, help="the shared output folder (or fsspec URL)")
    parser.add_argument("--config", choices=CONFIG_NAMES, help="only this config")


def given_options(args: argparse.Namespace) -> tuple[dict, object]:
    """The config options given on the command line (keyword names) and the run options."""
    values = {key: getattr(args, key) for key in every_option() if getattr(args, key) is not None}
    run = {key: getattr(args, key) for key in run_options() if getattr(args, key) is not None}
    return values, RunOptions(**run)


def recipe_from_args(args: argparse.Namespace, split: str):
    """The recipe ``mattehub build`` makes for ``split``: other configs' options refused,
    the rest checked by the config's options class (as ``load_dataset`` does)."""
    values, run = given_options(args)
    try:
        refuse_foreign(args.config, list(values), as_flag)
    except BuildError as exc:
        raise BuildError(f"{exc} (see `mattehub build --help`)") from None
    return recipe_for(args.config, values, split, run)


def run_build(args: argparse.Namespace) -> int:
    """``mattehub build``: one split, or every split the config has (``--split all``)."""
    if args.split != "all":
        _build_split(args, split_of(args))
        return 0
    data_dir = getattr(args, "data_dir", None)
    splits, _ = config_splits(args.config, data_dir, lambda split: recipe_from_args(args, split))
    for split in splits:
        _build_split(args, split)
    return 0


def _build_split(args: argparse.Namespace, split: str) -> None:
    from mattehub.build.run import FORMATS, BuildOptions, build
    from mattehub.build.sequence import ShardLimits

    recipe = recipe_from_args(args, split)
    limits = ShardLimits(args.max_samples_per_shard, args.max_bytes_per_shard, args.row_group_bytes)
    options = BuildOptions(out=args.out, num_samples=args.num_samples, split=split,
                           workers=args.workers, formats=args.formats or FORMATS, limits=limits,
                           overwrite=args.overwrite, progress=not args.no_progress,
                           distributor=args.distributor, ray_address=args.ray_address,
                           index_range=args.index_range, shard_range=args.shard_range)
    _report(build(recipe, options), args.max_bytes_per_shard)


def done_line(report) -> str:
    """What one build of a split did (``build`` and ``demo`` print it): its samples and
    shards, how many shards an earlier run left complete (kept) and how many this run wrote
    (new, or redone because they were missing or incomplete)."""
    written = report.shards - report.reused_shards
    return (f"{report.config}/{report.split}: {report.samples} samples in {report.shards} shards "
            f"({report.reused_shards} kept from an earlier run, {written} written, "
            f"{report.skipped} ids skipped)")


def _report(report, max_bytes: int | None) -> None:
    print(f"{done_line(report)} -> {report.out}")
    if max_bytes is not None:
        print(f"  --max-bytes-per-shard {max_bytes}: {report.samples_per_shard} ids per shard "
              "(from the mean payload of the first samples, with 1.25x headroom)")
    if report.missing:
        print(f"  {len(report.missing)} of the split's shards still missing (other ranges); "
              "the range that completes it, or `mattehub finalize OUT`, finalises the split")
    if report.oversized:
        print(f"  warning: shards {', '.join(map(str, report.oversized))} hold more than "
              "--max-bytes-per-shard (their samples are bigger than the first ones): a smaller "
              "--max-samples-per-shard keeps shards under it")


def run_finalize(args: argparse.Namespace) -> int:
    """``mattehub finalize``: finalise every complete split; exit 1 while shards are missing."""
    from mattehub.build.finalize import finalize_folder

    states = finalize_folder(args.folder, args.config)
    for state in states:
        print(state.describe())
    return 1 if any(state.missing for state in states) else 0
