"""Shared fixtures: generated stand-in sources, small builds, a Range-honouring HTTP server."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pyarrow.parquet as pq

import pytest

from mattehub.build.run import BuildOptions, build
from mattehub.families.standins import make_hhm_sources
from mattehub.families.image_him.options import ImageHimOptions
from mattehub.families.image_him.recipe import ImageHimRecipe
from mattehub.build.sequence import ShardLimits
from range_server import RangeHandler, start_server  # noqa: F401  (RangeHandler used by tests)


@pytest.fixture(scope="session")
def hhm(tmp_path_factory):
    """Small HHM-style sources (12 foregrounds, one listed invalid; 6 backgrounds)."""
    return make_hhm_sources(tmp_path_factory.mktemp("hhm"), num_foregrounds=12, num_backgrounds=6)


def i_him_recipe(sources, seed: int = 0, **options) -> ImageHimRecipe:
    opts = ImageHimOptions(image_root=str(sources.image_root), bg_root=str(sources.bg_root),
                           invalid_names=str(sources.invalid_names), **options)
    return ImageHimRecipe(opts, seed=seed)


def build_i_him(sources, out: Path, num_samples: int = 20, workers: int = 1,
                max_samples: int = 8, max_bytes: int | None = None, seed: int = 0,
                index_range: tuple[int, int | None] | None = None, **options):
    """Build i-him into ``out`` with small shards; returns the BuildReport."""
    options_ = BuildOptions(out=out, num_samples=num_samples, workers=workers, progress=False,
                            limits=ShardLimits(max_samples=max_samples, max_bytes=max_bytes,
                                               row_group_bytes=256 * 1024),
                            index_range=index_range)
    return build(i_him_recipe(sources, seed=seed, **options), options_)


@pytest.fixture(scope="session")
def release(hhm, tmp_path_factory):
    """The stand-in MaGGIe HIM release (Info-ZIP split zips in release/, the same files
    unzipped in extracted/)."""
    from mattehub.families.releases.standin import make_release

    return make_release(tmp_path_factory.mktemp("release"), hhm)


@pytest.fixture
def small_release_shards(monkeypatch):
    """Release generator shards of 2+ ids (16+ otherwise), reading 2 ahead: the stand-in
    ``i-him50k``'s 5 rows are then 2 generator shards, one per worker (the same code path
    as a real release's shards of 16-32)."""
    from mattehub.families.releases.recipe import ImageReleaseRecipe

    monkeypatch.setattr(ImageReleaseRecipe, "read_ahead", 2)
    monkeypatch.setattr(ImageReleaseRecipe, "stream_shard_min", 2)


@pytest.fixture(scope="session")
def built(hhm, tmp_path_factory):
    """One finished i-him build of 20 samples in shards of 8 (3 shards)."""
    out = tmp_path_factory.mktemp("built")
    build_i_him(hhm, out)
    return out


def shard_bytes(out: Path) -> dict[str, bytes]:
    """Every shard file (Parquet and tar) under ``out``, by relative path."""
    files = sorted(list(out.rglob("*.parquet")) + list(out.rglob("*.tar")))
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in files}


@pytest.fixture
def http_root():
    """Serve a folder on 127.0.0.1; yields a function folder -> base URL."""
    servers = []

    def serve(folder: Path) -> str:
        server, url = start_server(folder)
        servers.append(server)
        return url

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def surreal_tree(tmp_path_factory):
    """A small SURREAL-format tree (tests/surreal_tree.py, independent of the demo's):
    3 train clips of 4, 3 and 3 frames, 1 val clip of 2 frames, 4 backgrounds."""
    from surreal_tree import make_surreal_tree

    return make_surreal_tree(tmp_path_factory.mktemp("surreal"))


@pytest.fixture(scope="session")
def overlay_tree(tmp_path_factory):
    """overlay-depth synthesis inputs (tests/overlay_tree.py, written without mattehub):
    3 backgrounds (120x90, 40x70, 200x50 JPEG) with 16-bit depth maps, 3 RGBA foregrounds
    (max side 46) one of which has a q50 JPEG mask file, for --size 64."""
    from overlay_tree import make_overlay_tree

    return make_overlay_tree(tmp_path_factory.mktemp("overlay"))


@pytest.fixture(scope="session")
def streams(hhm, built, release):
    """Stream makers by source (resume tests): i-him made on the fly, its shard folder, the
    i-him50k release."""
    import mattehub

    made = {"bg_root": str(hhm.bg_root), "invalid_names": str(hhm.invalid_names), "num_samples": 20}
    return {"made": lambda: mattehub.stream("i-him", hhm.image_root, **made),
            "folder": lambda: mattehub.stream("i-him", built),
            "release": lambda: mattehub.stream("i-him50k", release)}


# -- mattehub evaluate: a small i-him build and its stored instance mattes ----------------


def grey_png(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)


def parquet_rows(out: Path, config: str) -> list[dict]:
    rows = []
    for shard in sorted((out / config).glob("train-*.parquet")):
        rows += pq.read_table(shard).to_pylist()
    return rows


@pytest.fixture(scope="module")
def i_him(hhm, tmp_path_factory) -> Path:
    """A 4-sample i-him shard folder."""
    out = tmp_path_factory.mktemp("evaluate-i-him")
    build_i_him(hhm, out, num_samples=4)
    return out


@pytest.fixture(scope="module")
def truth(i_him) -> dict[str, list[np.ndarray]]:
    """key -> the instance mattes stored in the shards."""
    return {row["__key__"]: [grey_png(m["bytes"]) for m in row["instance_alphas"]]
            for row in parquet_rows(i_him, "i-him")}


# -- DataLoader workers forked from a process that ran OpenCV ----------------------------------


@pytest.fixture
def fork_safe_opencv():
    """OpenCV's thread pool does not survive ``fork`` (opencv/opencv#5150): a forked
    DataLoader worker whose parent ran the pool can deadlock in its next parallel OpenCV call
    (seen once in a full run: ``cvtColor`` of an i-him sample made in a worker). A test
    process runs OpenCV before it forks loaders, so it does what docs/training.md tells users
    to do: OpenCV sequential (``cv2.setNumThreads(0)``, inherited by the workers) while
    loaders fork, then back as it was."""
    import cv2

    before = cv2.getNumThreads()
    cv2.setNumThreads(0)
    yield
    cv2.setNumThreads(before)
