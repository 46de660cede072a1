"""mattehub: matting data as streamable WebDataset + Parquet shards (build, demo, push).

``scripts/build_shards.py`` is a thin wrapper around this module.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from mattehub.build.run import FORMATS, BuildOptions, build
from mattehub.families.registry import CONFIG_NAMES, RECIPES, recipe_class
from mattehub._version import __version__
from mattehub.options.argtypes import int_in, positive_int, safe_name
from mattehub.core.errors import BuildError, MattehubError
from mattehub.build.sequence import ShardLimits
from mattehub.synthesis.trimap import KINDS as TRIMAP_KINDS

EPILOG = """examples:
  mattehub demo                                   # every config from generated stand-in sources
  mattehub build i-him --out shards --image-root HHM/train --bg-root BG-20K/train \\
      --invalid-names invalid_him.txt --num-samples 50000 --workers 8
  mattehub build surreal-alpha --out shards --data-dir SURREAL/data/cmu --split train \\
      --bg-root BG-20K/train --num-bgs 4 --frame-stride 10 --layout dim --workers 8
  mattehub build overlay-depth --out shards --bg-root Input/bg --fg-root Input/fg150 \\
      --mask-root Input/fg_mask --depth exact --bg-depth-root Input/bg_depth
  mattehub build aim --out shards --data-dir AIM --bg-root COCO/train2017 --with trimap
  mattehub build composition-1k --out shards --data-dir AIM     # the test set, as published
  mattehub build duts --out shards --data-dir DUTS --split test
  mattehub stats overlay-depth shards             # per-channel statistics, into the card
  mattehub export overlay-depth shards --out original   # label_data.csv + Dataset/ for old code
  mattehub evaluate him2k --data-dir shards --split natural --pred preds --json scores.json
  mattehub build i-him ... --out shards --distributor ray      # one Ray task per shard
  mattehub build i-him ... --out /shared --index-range 0:10000  # one Slurm array task
  mattehub finalize /shared                       # summaries + cards once every range is in
  mattehub build v-him60 --data-dir MaGGIe-HIM --split all --out shards
  mattehub push shards you/i-him-shards --dry-run

Re-running a build with the same options resumes it: complete shards are kept, partial ones
are redone. Loading: datasets.load_dataset("shards", "i-him", streaming=True)."""


def _formats(text: str) -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [name for name in chosen if name not in FORMATS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"formats are a comma list of {', '.join(FORMATS)}")
    return chosen


def _add_reassemble_parser(commands) -> None:
    parser = commands.add_parser("reassemble", help="join a split zip (X.z01.. + X.zip) into one "
                                                    "standard zip, like `zip -F`, streaming")
    parser.add_argument("archive", help="the last part, X.zip (local, hf:// or http(s)://)")
    parser.add_argument("--out", required=True, type=Path,
                        help="the joined zip to write (not one of the parts)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    _add_http_arguments(parser)


def _add_http_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("remote sources (http(s)://, hf://)")
    group.add_argument("--http-timeout", type=float, metavar="SECONDS",
                       help="connect/read timeout of each HTTP request (default: "
                            "$MATTEHUB_HTTP_TIMEOUT or 30)")
    group.add_argument("--http-retries", type=int_in(0, 20), metavar="N",
                       help="retries of a failed HTTP request (default: $MATTEHUB_HTTP_RETRIES or 2)")


def _add_verify_parser(commands) -> None:
    parser = commands.add_parser(
        "verify", help="check every shard of an output folder against its stats (exit 1 on any problem)",
        description="Check every shard of a mattehub output folder against its stats: present, "
                    "sha256, row count, every field decodes, sizes agree within a sample, instance "
                    "mattes consistent with alpha. Prints a report naming each problem's shard "
                    "and row; exit 1 on any problem, 0 when all is well.")
    parser.add_argument("folder", type=Path, help="a folder written by `mattehub build`")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _add_export_parser(commands) -> None:
    parser = commands.add_parser(
        "export", help="write a built config back in its original folder layout (overlay-depth)",
        description="Write the samples of a mattehub output folder back in the original "
                    "dataset's layout for older code: overlay-depth -> Dataset/bg*/fg_*/{overlay,"
                    "mask,depth}/N.* and label_data.csv. Bytes are written as stored (no "
                    "re-encoding); a file whose bytes are PNG gets a .png name.")
    parser.add_argument("config", choices=("overlay-depth",), help="config to export")
    parser.add_argument("folder", type=Path, help="a folder written by `mattehub build`")
    parser.add_argument("--out", required=True, type=Path, help="folder to write (new or empty)")
    parser.add_argument("--split", default="train", type=safe_name, help="default: train")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _add_stats_parser(commands) -> None:
    parser = commands.add_parser(
        "stats", help="per-channel statistics of a built config's images (printed, and added "
                      "to the dataset card)",
        description="One streaming pass over a built split: per channel of each image field, "
                    "the pooled pixel mean and std, the mean of per-image means and the std of "
                    "per-image stds (what the overlay-depth original dataset published as its "
                    "mean and 'STD'), and the mean of per-image stds. Printed as a table, saved "
                    "with the split's summary and shown in the dataset card.")
    parser.add_argument("config", choices=CONFIG_NAMES, help="config to measure")
    parser.add_argument("folder", type=Path, help="a folder written by `mattehub build`")
    parser.add_argument("--split", default="train", type=safe_name, help="default: train")
    parser.add_argument("--fields", type=lambda text: [f for f in text.split(",") if f],
                        help="comma list of image fields (default: image, mask, depth, alpha "
                             "where the config has them)")
    parser.add_argument("--print-only", action="store_true",
                        help="print the table without writing it to the folder and its card")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _add_evaluate_parser(commands) -> None:
    from mattehub.analysis.evaluate import TRIMAP_KINDS
    from mattehub.analysis.metrics import MATCHINGS

    parser = commands.add_parser(
        "evaluate", help="score predicted mattes against a config's ground truth (SAD, MSE, "
                         "MAD, Grad, Conn; dtSSD, MESSDdt for clips)",
        description="Score the PNG mattes in PRED_DIR (<key>.png; <key>/<k>.png per instance; "
                    "<key>/<t>/<k>.png per frame and instance) against the ground truth "
                    "streamed from --data-dir, over the whole image and the unknown region. "
                    "Missing predictions are scored as all-zero mattes and listed. Prints the "
                    "means; --json writes every sample's errors. See docs/evaluation.md.")
    parser.add_argument("config", choices=CONFIG_NAMES, help="config of the ground truth")
    parser.add_argument("--data-dir", required=True,
                        help="a folder written by `mattehub build`, or a release")
    parser.add_argument("--pred", required=True, type=Path, metavar="PRED_DIR",
                        help="folder of predicted mattes (8-bit single-channel PNG)")
    parser.add_argument("--split", type=safe_name, help="default: the config's build default")
    parser.add_argument("--trimap", dest="trimap_kind", choices=TRIMAP_KINDS,
                        help="compute this trimap kind from the ground truth (default: the "
                             "stored trimap field where there is one, else him-eval)")
    parser.add_argument("--match", dest="matching", choices=MATCHINGS, default="index",
                        help="instances: index = prediction k is instance k (MaGGIe); "
                             "hungarian = any order, minimum-MAD assignment (default: %(default)s)")
    parser.add_argument("--json", type=Path, metavar="OUT.json", help="write every sample's errors")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _add_build_parser(commands) -> None:
    parser = commands.add_parser("build", help="synthesise or convert one config into shards",
                                 usage="mattehub build CONFIG --out OUT [options]",
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", choices=CONFIG_NAMES, help="config to build")
    parser.add_argument("--out", required=True, type=_location,
                        help="output folder (shared by configs), or an fsspec URL "
                             "(s3://bucket/shards, hf://datasets/you/x): shards are staged "
                             "locally and uploaded, their stats last")
    parser.add_argument("--split", default="train", type=safe_name,
                        help="split name (default: train); release configs: a split of the "
                             "release; all: every split the config's sources have (him2k's comp "
                             "and natural, v-him60's easy, medium and hard...), one after another")
    parser.add_argument("--num-samples", type=positive_int,
                        help="sample ids to build, 0..N-1 (default: 1000 for i-him/v-him, every "
                             "sample the sources give for surreal-alpha and overlay-depth, the whole split for "
                             "release configs)")
    parser.add_argument("--seed", type=int, default=0, help="base seed (default: 0)")
    parser.add_argument("--workers", type=positive_int, default=1,
                        help="worker processes; output is identical for any count (default: 1)")
    parser.add_argument("--format", dest="formats", type=_formats, default=FORMATS,
                        help="comma list of parquet,webdataset (default: both)")
    parser.add_argument("--max-samples-per-shard", type=positive_int, default=1000,
                        help="samples per shard (default: %(default)s)")
    parser.add_argument("--max-bytes-per-shard", type=positive_int, default=512 * 2**20,
                        help="payload bytes per shard (default: 512 MiB)")
    parser.add_argument("--row-group-bytes", type=positive_int, default=16 * 2**20,
                        help="Parquet row group size in payload bytes (default: 16 MiB)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an earlier build of this config/split made with other options")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.add_argument("--with", dest="with_fields", action="append", choices=("trimap",),
                        default=[], help="add a field: trimap = a lossless 0/128/255 trimap "
                                         "of alpha (configs with an alpha field)")
    parser.add_argument("--trimap-kind", choices=TRIMAP_KINDS, default="him-eval",
                        help="--with trimap: him-eval (25x25 ellipse band, the HIM evaluation "
                             "trimap), duts (H/40 x W/40 band), random (seeded band width, for "
                             "training) (default: %(default)s)")
    _add_scale_arguments(parser)
    for recipe in RECIPES.values():
        recipe.add_arguments(parser)
    parser.add_argument("--invalid-names", help="invalid_him.txt: image names to skip "
                                                "(i-him sources; i-him50k release)")
    _add_http_arguments(parser)


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
        "scaling out (shards fixed in advance: shard n holds ids n*S..(n+1)*S-1, S = "
        "--max-samples-per-shard; --max-bytes-per-shard is reported, not applied)")
    group.add_argument("--distributor", choices=("local", "ray"), default="local",
                       help="ray: one Ray task per missing shard, retried if its worker dies "
                            "(pip install 'mattehub[ray]'); output identical to a local build")
    group.add_argument("--ray-address", help="Ray cluster to use (default: RAY_ADDRESS, else a "
                                             "local Ray instance on this machine's CPUs)")
    group.add_argument("--index-range", type=_range, metavar="A:B",
                       help="write only the shards of ids A..B-1 (on shard boundaries), e.g. "
                            "one Slurm array task; the range that completes the split (or "
                            "`mattehub finalize OUT`) writes the summary, card and preview")
    group.add_argument("--shard-range", type=_range, metavar="A:B",
                       help="write only shards A..B-1 (same as --index-range, in shard numbers)")


def _add_finalize_parser(commands) -> None:
    parser = commands.add_parser(
        "finalize", help="write summaries, cards and previews once every ranged shard exists",
        description="After `mattehub build ... --index-range A:B` runs (several machines, one "
                    "shared OUT): check every planned shard of every split is complete (sizes "
                    "and sha256) and write its split summary, wids index, preview and the "
                    "cards; otherwise list the missing shards and their --index-range.")
    parser.add_argument("folder", type=_location, help="the shared output folder (or fsspec URL)")
    parser.add_argument("--config", choices=CONFIG_NAMES, help="only this config")


def build_parser() -> argparse.ArgumentParser:
    """The full ``mattehub`` argument parser."""
    parser = argparse.ArgumentParser(prog="mattehub", description=__doc__.splitlines()[0],
                                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    _add_build_parser(commands)
    _add_reassemble_parser(commands)
    _add_verify_parser(commands)
    _add_export_parser(commands)
    _add_stats_parser(commands)
    _add_finalize_parser(commands)
    _add_evaluate_parser(commands)
    demo = commands.add_parser("demo", help="build every config from small generated sources")
    demo.add_argument("--out", type=Path, default=Path("mattehub-demo"), help="default: ./mattehub-demo")
    demo.add_argument("--workers", type=positive_int, default=min(2, os.cpu_count() or 1),
                      help="worker processes (default: %(default)s)")
    push = commands.add_parser(
        "push", help="check an output folder, then upload it to a Hub dataset repo",
        usage="mattehub push OUT REPO_ID [--private] [--revision R] [--message M] "
              "[--config C ...] [--dry-run]",
        description="Check OUT, then upload it to the dataset repo REPO_ID. Before any upload: "
                    "`mattehub verify` runs on what is pushed, the cards must declare exactly "
                    "the configs and splits built, and every declared config must load one row "
                    "of each split with datasets.load_dataset; any problem refuses the push. "
                    "Not uploaded: _sources/, .cache/, temp files. The token comes from "
                    "huggingface_hub's standard places (HF_TOKEN, else the token file of "
                    "`hf auth login`) and is never printed. Prints the load_dataset lines of "
                    "the pushed configs.")
    push.add_argument("folder", type=Path, metavar="OUT", help="a folder written by `mattehub build`")
    push.add_argument("repo_id", nargs="?", metavar="REPO_ID",
                      help="owner/name of the dataset repo, e.g. your-name/mattehub-i-him "
                           "(created if missing)")
    push.add_argument("--repo-id", dest="repo_id_option", metavar="REPO_ID",
                      help="the same as the positional REPO_ID (the older spelling)")
    push.add_argument("--private", action="store_true",
                      help="create the repo private (an existing repo keeps its visibility)")
    push.add_argument("--revision", metavar="R",
                      help="branch to push to, created from main if missing (default: main)")
    push.add_argument("--message", metavar="M", help="commit message (default: 'Upload "
                      "<configs> (mattehub <version>)')")
    push.add_argument("--config", dest="configs", action="append", metavar="C",
                      help="push only config C (repeatable; C or C-wds): its shards, stats and "
                           "previews, with both cards and _stats/index.json regenerated to "
                           "declare only the configs pushed (OUT is not changed)")
    push.add_argument("--dry-run", action="store_true",
                      help="run the checks and list every file that would be uploaded with "
                           "its size; no network call at all")
    push.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return parser


def _refuse_inapplicable(parser_defaults: dict, args: argparse.Namespace) -> None:
    """Options of other configs given to this one are an error, not silently ignored."""
    given = {dest for dest in parser_defaults if getattr(args, dest, None) != parser_defaults[dest]}
    _refuse_foreign(args.config, given)


def _refuse_foreign(config: str, given: set[str]) -> None:
    """Refuse options in ``given`` (destinations) that only other configs read."""
    chosen = set(recipe_class(config).used_options())
    foreign = {dest for recipe in RECIPES.values() for dest in recipe.used_options()} - chosen
    given = sorted(given & foreign)
    if given:
        flags = ", ".join("--" + dest.replace("_", "-") for dest in given)
        verb = "does" if len(given) == 1 else "do"
        raise BuildError(f"{flags} {verb} not apply to {config}; its own options: "
                         f"{', '.join('--' + d.replace('_', '-') for d in sorted(chosen)) or 'none'} "
                         f"(see `mattehub build --help`)")


def recipe_from_args(args: argparse.Namespace, parser_defaults: dict):
    """The recipe ``mattehub build`` makes from ``args`` (``--with trimap`` applied); the
    ``mattehub`` builder makes its on-the-fly recipes here too, so both give the same samples."""
    _refuse_inapplicable(parser_defaults, args)
    recipe_cls = recipe_class(args.config)
    if args.split == parser_defaults.get("split"):
        args.split = recipe_cls.default_split()
    recipe = recipe_cls(recipe_cls.options_from_args(args), seed=args.seed)
    if "trimap" in args.with_fields:
        from mattehub.recipes.with_trimap import WithTrimap

        recipe = WithTrimap(recipe, args.trimap_kind)
    elif args.trimap_kind != parser_defaults.get("trimap_kind"):
        raise BuildError("--trimap-kind only applies with --with trimap")
    return recipe


def run_build(args: argparse.Namespace, parser_defaults: dict) -> None:
    """``mattehub build``: one split, or every split the config has (``--split all``)."""
    if args.split != "all":
        _build_split(args, parser_defaults)
        return
    from mattehub.streaming.plan import config_splits

    def make(split: str):
        return recipe_from_args(argparse.Namespace(**dict(vars(args), split=split)), parser_defaults)

    given = args.data_dir if args.data_dir != parser_defaults.get("data_dir") else None
    splits, _ = config_splits(args.config, given, make)
    for split in splits:
        _build_split(argparse.Namespace(**dict(vars(args), split=split)), parser_defaults)


def _build_split(args: argparse.Namespace, parser_defaults: dict) -> None:
    recipe = recipe_from_args(args, parser_defaults)
    if args.max_bytes_per_shard != parser_defaults.get("max_bytes_per_shard") and (
            args.distributor != "local" or args.index_range or args.shard_range):
        print("mattehub: note: --max-bytes-per-shard is checked, not applied, when shards are "
              "fixed in advance (ray, ranges): shards above it are listed", file=sys.stderr)
    limits = ShardLimits(args.max_samples_per_shard, args.max_bytes_per_shard, args.row_group_bytes)
    options = BuildOptions(out=args.out, num_samples=args.num_samples, split=args.split,
                           workers=args.workers, formats=args.formats, limits=limits,
                           overwrite=args.overwrite, progress=not args.no_progress,
                           distributor=args.distributor, ray_address=args.ray_address,
                           index_range=args.index_range, shard_range=args.shard_range)
    report = build(recipe, options)
    print(f"{report.config}/{report.split}: {report.samples} samples in {report.shards} shards "
          f"({report.reused_shards} kept from an earlier run, {report.skipped} ids skipped) "
          f"-> {report.out}")
    if report.missing:
        print(f"  {len(report.missing)} of the split's shards still missing (other ranges); "
              "the range that completes it, or `mattehub finalize OUT`, finalises the split")
    if report.oversized:
        print(f"  shards {', '.join(map(str, report.oversized))} hold more than "
              "--max-bytes-per-shard: a smaller --max-samples-per-shard keeps shards under it")


def run_finalize(args: argparse.Namespace) -> int:
    """``mattehub finalize``: finalise every complete split; exit 1 while shards are missing."""
    from mattehub.build.finalize import finalize_folder

    states = finalize_folder(args.folder, args.config)
    for state in states:
        print(state.describe())
    return 1 if any(state.missing for state in states) else 0


def run_stats(args: argparse.Namespace) -> None:
    """``mattehub stats``: compute, print, and (unless --print-only) store in the card."""
    from mattehub.analysis.statistics import compute_statistics, write_statistics

    stats = compute_statistics(args.folder, args.config, split=args.split, fields=args.fields,
                               progress=not args.no_progress)
    print(stats.format())
    if not args.print_only:
        print(f"written to {write_statistics(args.folder, stats)}")


def run_evaluate(args: argparse.Namespace) -> None:
    """``mattehub evaluate``: score, print the means, and (with --json) write every sample."""
    from mattehub.analysis.evaluate import EvaluationOptions, evaluate
    from mattehub.core.jsonio import write_json

    split = args.split or recipe_class(args.config).default_split()
    report = evaluate(EvaluationOptions(args.config, args.data_dir, args.pred, split,
                                        args.trimap_kind, args.matching, not args.no_progress))
    print(report.format())
    if args.json:
        write_json(args.json, report.as_dict())
        print(f"written to {args.json}")


def _build_actions(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {action.dest: action for action in commands.choices["build"]._actions}


def _build_defaults(parser: argparse.ArgumentParser) -> dict:
    """Defaults of ``mattehub build``'s options, to tell which ones the user gave."""
    return {dest: action.default for dest, action in _build_actions(parser).items()}


def _checked(action: argparse.Action, dest: str, value):
    """``value`` converted and checked as the option's own type and choices would."""
    if action.type is not None and not isinstance(value, bool):
        try:
            value = action.type(str(value))
        except (argparse.ArgumentTypeError, TypeError, ValueError) as exc:
            raise BuildError(f"{dest}={value!r}: {exc}") from None
    if action.choices is not None and value not in action.choices:
        raise BuildError(f"{dest}={value!r}: choose from {', '.join(map(str, action.choices))}")
    return value


def build_option_names() -> list[str]:
    """Destinations of every ``mattehub build`` option (``bg_root``, ``with_fields``...)."""
    return sorted(dest for dest in _build_actions(build_parser()) if dest != "help")


def build_namespace(config: str, values: dict) -> argparse.Namespace:
    """``mattehub build CONFIG`` arguments as if ``values`` (option destinations, e.g.
    ``num_bgs``) had been given on the command line: each value is checked by its option's
    own type and choices, and other configs' options are refused. This is how
    ``load_dataset("mattehub", CONFIG, **kwargs)`` gets the CLI's defaults and validation."""
    parser = build_parser()
    actions, defaults = _build_actions(parser), _build_defaults(parser)
    args = argparse.Namespace(**defaults)
    args.config = recipe_class(config).name
    _refuse_foreign(args.config, set(values))
    for dest, value in values.items():
        action = actions.get(dest)
        if action is None:
            raise BuildError(f"{dest}= is not an option of mattehub configs")
        if isinstance(action, argparse._AppendAction):
            value = [_checked(action, dest, item) for item in ([value] if isinstance(value, str) else value)]
        else:
            value = _checked(action, dest, value)
        setattr(args, dest, value)
    _refuse_inapplicable(defaults, args)
    return args


def recipe_from_values(config: str, values: dict):
    """The recipe ``mattehub build CONFIG`` would make with ``values`` as its options."""
    parser = build_parser()
    return recipe_from_args(build_namespace(config, values), _build_defaults(parser))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``mattehub`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if getattr(args, "http_timeout", None) is not None or getattr(args, "http_retries", None) is not None:
            from mattehub.inputs.remote import configure

            configure(timeout=args.http_timeout, retries=args.http_retries)
        if args.command == "build":
            run_build(args, _build_defaults(parser))
        elif args.command == "verify":
            from mattehub.verify import verify_folder

            report = verify_folder(args.folder, progress=not args.no_progress)
            print(report.format())
            return 0 if report.ok else 1
        elif args.command == "reassemble":
            from mattehub.inputs.archives.reassemble import reassemble

            print(reassemble(args.archive, args.out, progress=not args.no_progress))
        elif args.command == "export":
            from mattehub.families.overlay_depth.export import export_original

            print(export_original(args.folder, args.out, split=args.split, config=args.config,
                                  progress=not args.no_progress).format())
        elif args.command == "stats":
            run_stats(args)
        elif args.command == "finalize":
            return run_finalize(args)
        elif args.command == "evaluate":
            run_evaluate(args)
        elif args.command == "demo":
            from mattehub.cli.demo import run_demo

            run_demo(args.out, workers=args.workers)
        else:
            from mattehub.publish.hub import push_folder

            if args.repo_id and args.repo_id_option and args.repo_id != args.repo_id_option:
                raise BuildError(f"two repo ids given ({args.repo_id}, --repo-id "
                                 f"{args.repo_id_option}): give one")
            repo_id = args.repo_id or args.repo_id_option
            if not repo_id:
                raise BuildError("push needs REPO_ID (owner/name): mattehub push OUT REPO_ID")
            push_folder(args.folder, repo_id, private=args.private, revision=args.revision,
                        message=args.message, configs=args.configs, dry_run=args.dry_run,
                        progress=not args.no_progress)
    except MattehubError as exc:
        print(f"mattehub: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
