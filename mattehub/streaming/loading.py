"""The stable way to stream mattehub data, without going through ``load_dataset``'s private hooks."""
from __future__ import annotations

from os import PathLike
from typing import Any

import datasets


def stream(config: str, data_dir: str | PathLike | None, split: str | None = None,
           **options: Any) -> datasets.IterableDataset:
    """Stream ``split`` of ``config`` from a mattehub output folder (local, hf:// or
    http(s)://), a release, or, for configs made on the fly (``surreal-alpha``), the source
    tree; ``options`` are the config's keyword arguments (``bg_root=``, ``num_bgs=``...), as
    ``load_dataset("mattehub", config, **options)`` takes them. ``data_dir`` None: the
    config's default sources (a release's Hub copy; overlay-depth synthesis from options).
    ``split`` None: a shard folder's only split, else the config's default split
    (``composition-1k``: ``test``)."""
    from mattehub.streaming.builder import Mattehub

    builder = Mattehub(config_name=config, data_dir=None if data_dir is None else str(data_dir),
                       **options)
    return builder.as_streaming_dataset(split=split or builder.default_split())
