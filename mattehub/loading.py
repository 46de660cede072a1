"""The stable way to stream a mattehub folder, without going through ``load_dataset``'s private hooks."""
from __future__ import annotations

import datasets


def stream(config: str, data_dir: str, split: str = "train") -> datasets.IterableDataset:
    """Stream ``split`` of ``config`` from a mattehub output folder (local, hf:// or http(s)://)."""
    from .builders.mattehub_builder import Mattehub

    builder = Mattehub(config_name=config, data_dir=str(data_dir))
    return builder.as_streaming_dataset(split=split)
