"""Argument types for the command line: bad values are refused with a message that says
what is allowed, before anything is read or written."""
from __future__ import annotations

import argparse
from typing import Callable

from mattehub.core.errors import BuildError
from mattehub.core.naming import check_name


def positive_int(text: str) -> int:
    """A whole number >= 1 (sample counts, workers, shard limits, frame counts)."""
    return int_in(1, None)(text)


def int_in(low: int, high: int | None) -> Callable[[str], int]:
    """A whole number in [low, high] (``high`` None: no upper bound)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            allowed = f"from {low} to {high}" if high is not None else f">= {low}"
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number {allowed}")
        return value

    parse.__name__ = "int"  # argparse names the type in its message
    return parse


def safe_name(text: str) -> str:
    """A split name: one safe path segment (see ``core.naming.check_name``)."""
    try:
        return check_name(text, "split")
    except BuildError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
