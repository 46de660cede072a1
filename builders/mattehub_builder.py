"""The ``mattehub`` builder module ``datasets`` loads (``mattehub.builders.mattehub_builder``).

A thin entry: the builder itself is ``mattehub.streaming.builder`` (the streaming layer), so
the library's import graph, which the CI checks, holds all of its code. ``datasets`` picks
the builder class from this module's names.
"""
from mattehub.streaming.builder import Mattehub, MattehubConfig

__all__ = ["Mattehub", "MattehubConfig"]
