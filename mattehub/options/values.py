"""Checks and command-line parsers shared by option declarations.

A check takes a typed value and returns None, or what is wrong with it; ``declare.Options``
turns that into the one message every route shows. A parser turns command-line text into
the typed value (the command line is the only place strings are parsed).
"""
from __future__ import annotations

import argparse
import re
from typing import Any

from mattehub.options.declare import Check


def whole(low: int, high: int | None = None) -> Check:
    """A whole number in [low, high] (``high`` None: no upper bound)."""
    allowed = f"from {low} to {high}" if high is not None else f">= {low}"

    def check(value: Any) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool)
        if not ok or value < low or (high is not None and value > high):
            return f"give a whole number {allowed}"
        return None

    return check


def fraction(value: Any) -> str | None:
    """A probability in [0, 1]."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
        return "give a number from 0 to 1"
    return None


def text(value: Any) -> str | None:
    """A non-empty string (a path, a model id, a name)."""
    return None if isinstance(value, str) and value else "give a non-empty string"


def local_path(value: Any) -> str | None:
    """A non-empty local path (no ``scheme://`` URL)."""
    return text(value) or ("give a local folder, not a URL" if "://" in value else None)


def numbers(value: Any) -> tuple[float, ...]:
    """Python values of a number-list option as a tuple of floats (a list or tuple of ints
    or floats; anything else is left for the check to refuse)."""
    if isinstance(value, (list, tuple)) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return tuple(float(v) for v in value)
    return value


def comma_numbers(text_value: str) -> tuple[float, ...]:
    """Command line: ``1.0,0.8`` -> ``(1.0, 0.8)``."""
    try:
        return tuple(float(part) for part in text_value.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text_value!r} is not a comma list of numbers") from None


def matching(pattern: str, allowed: str) -> Check:
    """Text that fully matches ``pattern`` (``allowed`` says what that is)."""
    def check(value: Any) -> str | None:
        if isinstance(value, str) and re.fullmatch(pattern, value):
            return None
        return f"choose {allowed}"

    return check
