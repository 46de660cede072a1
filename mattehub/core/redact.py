"""Keeping local paths out of what gets published: build records, shard stats and cards.

``mattehub push`` uploads ``_stats/`` and the cards, so they must not carry a local absolute
path (which names users and machines). Source locations are recorded by their public name
(a URL as is, minus credentials; a local folder or file by its name), and paths below a
source root become relative to it: ``/home/ana/HHM/train/images/a.jpg`` -> ``images/a.jpg``.
Any absolute path left over (a message naming some other file) is cut to its file name.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_CREDENTIALS = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@")
# an absolute POSIX path not inside a URL: not preceded by a word character, ':' '/' or '.'
_ABSOLUTE = re.compile(r"(?<![\w:/.~-])/(?:[^\s/'\"():,]+/)+([^\s/'\"():,]*)")


def is_url(location: str) -> bool:
    """True for ``scheme://...`` locations (hf://, http(s)://, s3://...)."""
    return bool(_URL.match(str(location)))


def public_name(location: str | Path) -> str:
    """How a source location is recorded: a URL without credentials or query, else the
    local folder's or file's own name."""
    text = str(location)
    if is_url(text):
        return _CREDENTIALS.sub(r"\1", text.split("?", 1)[0])
    return Path(text.rstrip("/\\")).name or text


class Redactor:
    """Rewrites strings (recursively in JSON-like values) so no local root shows."""

    def __init__(self, roots: Iterable[str | Path | None]) -> None:
        pairs, prefixes = {}, set()
        for root in roots:
            if not root or is_url(str(root)):
                continue
            for form in {os.path.abspath(str(root)), str(Path(root).resolve())}:
                pairs[form.rstrip("/")] = public_name(root)
            if not os.path.isabs(str(root)):  # as given: only where a string starts with it
                prefixes.add(str(root).rstrip("/") + "/")
        self.pairs = sorted(pairs.items(), key=lambda item: -len(item[0]))
        self.prefixes = sorted(prefixes, key=len, reverse=True)

    def text(self, value: str) -> str:
        """``value`` with every local root made relative, and stray absolute paths cut."""
        for form, name in self.pairs:
            value = value.replace(form + "/", "").replace(form, name)
        for prefix in self.prefixes:
            if value.startswith(prefix):
                value = value[len(prefix):]
                break
        return _ABSOLUTE.sub(lambda match: match.group(1) or "/", value)

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self(item) for item in value]
        return value
