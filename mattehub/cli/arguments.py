"""Arguments several commands take, declared once: ``--split``, ``--no-progress``.

Cheap to import (the parsers of every command use them, and ``mattehub --help`` must not
import the data stack).
"""
from __future__ import annotations

import argparse

from mattehub.families.registry import recipe_class
from mattehub.options.argtypes import safe_name


def add_split(parser: argparse.ArgumentParser, help: str = "") -> None:
    """``--split``: default None, which ``split_of`` turns into the config's own default."""
    parser.add_argument("--split", type=safe_name, metavar="SPLIT",
                        help=help or "split name (default: the config's default split, "
                                     "the one `mattehub build` writes without --split)")


def split_of(args: argparse.Namespace) -> str:
    """The split given, else the config's default split (composition-1k's is test)."""
    return args.split or recipe_class(args.config).default_split()


def add_no_progress(parser: argparse.ArgumentParser) -> None:
    """``--no-progress``."""
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
