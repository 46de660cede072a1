"""Names that become parts of paths: config and split names end up as folder and file
names inside ``--out``, so they must be one safe path segment."""
from __future__ import annotations

import re

from mattehub.core.errors import BuildError

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def check_name(name: str, what: str = "split") -> str:
    """``name`` if it is one safe path segment (letters, digits, ``_ . -``, not starting
    with a dot), else BuildError: config and split names become folder and file names, and
    ``../x`` or ``/abs`` would write outside ``--out``."""
    if not isinstance(name, str) or not _SAFE_NAME.fullmatch(name) or ".." in name:
        raise BuildError(f"{what} name {name!r} is not allowed: use 1-64 letters, digits, '_', "
                         "'-' or '.', starting with a letter or digit (it becomes part of file "
                         "names inside --out)")
    return name
