"""mattehub: matting data as streamable WebDataset + Parquet shards (build, demo, push).

The entry point of the ``mattehub`` console script: a table of commands, each a parser
function and a run function (``cli/build.py``, ``cli/commands.py``). Parsers import nothing
heavy, so ``mattehub --help`` and ``--version`` answer at once; a run function imports what
its command needs. ``scripts/build_shards.py`` is a thin wrapper around this module.
"""
from __future__ import annotations

import argparse
import sys
from typing import Callable

from mattehub._version import __version__
from mattehub.cli import build, commands
from mattehub.core.errors import MattehubError

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
  mattehub export i-him shards --out maggie       # any config, as its trainers read it
  mattehub evaluate him2k --data-dir shards --split natural --pred preds --json scores.json
  mattehub build i-him ... --out shards --distributor ray      # one Ray task per shard
  mattehub build i-him ... --out /shared --index-range 0:10000  # one Slurm array task
  mattehub finalize /shared                       # summaries + cards once every range is in
  mattehub build v-him60 --data-dir MaGGIe-HIM --split all --out shards
  mattehub push shards you/i-him-shards --dry-run

Re-running a build with the same options resumes it: complete shards are kept, partial ones
are redone. Loading: datasets.load_dataset("shards", "i-him", streaming=True)."""

Run = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[Callable[[object], None], Run]] = {
    "build": (build.add_build_parser, build.run_build),
    "reassemble": (commands.add_reassemble_parser, commands.run_reassemble),
    "verify": (commands.add_verify_parser, commands.run_verify),
    "export": (commands.add_export_parser, commands.run_export),
    "stats": (commands.add_stats_parser, commands.run_stats),
    "finalize": (build.add_finalize_parser, build.run_finalize),
    "evaluate": (commands.add_evaluate_parser, commands.run_evaluate),
    "demo": (commands.add_demo_parser, commands.run_demo),
    "push": (commands.add_push_parser, commands.run_push),
}
"""Command -> (adds its parser, runs it and returns the exit code)."""


def build_parser() -> argparse.ArgumentParser:
    """The full ``mattehub`` argument parser."""
    parser = argparse.ArgumentParser(prog="mattehub", description=__doc__.splitlines()[0],
                                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for add_parser, _ in COMMANDS.values():
        add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``mattehub`` console script: 0 ok, 1 a check failed, 2 an error."""
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "http_timeout", None) is not None or getattr(args, "http_retries", None) is not None:
            from mattehub.inputs.remote import configure

            configure(timeout=args.http_timeout, retries=args.http_retries)
        return COMMANDS[args.command][1](args)
    except MattehubError as exc:
        print(f"mattehub: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
