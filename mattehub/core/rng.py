"""Per-sample random generators: a sample is a pure function of (config, seed, index).

Each sample gets its own ``numpy`` generator seeded from a SeedSequence over
(config salt, seed, index, attempt), so the draws do not depend on worker count,
shard size or the order in which samples happen to be computed.
"""
from __future__ import annotations

import zlib

import numpy as np


def config_salt(config: str) -> int:
    """A stable 32-bit number for a config name (``hash()`` is salted per process)."""
    return zlib.crc32(config.encode("utf-8"))


def sample_rng(config: str, seed: int, index: int, attempt: int = 0) -> np.random.Generator:
    """The generator for one attempt at one sample."""
    return np.random.default_rng([config_salt(config), int(seed), int(index), int(attempt)])
