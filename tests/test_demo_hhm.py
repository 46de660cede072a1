"""Tests for the synthetic HHM stand-in sources used by the offline demo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mattehub.families.standins import HhmDemoSources, make_hhm_sources

FG_SIZE = (256, 320)
BG_SIZE = (480, 360)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> HhmDemoSources:
    return make_hhm_sources(tmp_path_factory.mktemp("hhm"), num_foregrounds=5, num_backgrounds=3)


def _alpha_path(sources: HhmDemoSources, name: str) -> Path:
    return sources.image_root / "alphas" / f"{Path(name).stem}.png"


def _all_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_layout_and_counts(sources: HhmDemoSources) -> None:
    root = sources.image_root.parent
    assert sources.image_root == root / "hhm"
    assert sources.bg_root == root / "bg"
    assert sources.invalid_names == root / "invalid_him.txt"
    assert sources.foreground_names == [f"person_{i:03d}.jpg" for i in range(5)]
    images = sorted(p.name for p in (sources.image_root / "images").iterdir())
    alphas = sorted(p.name for p in (sources.image_root / "alphas").iterdir())
    assert images == sources.foreground_names
    assert alphas == [f"{Path(n).stem}.png" for n in sources.foreground_names]
    assert sorted(p.name for p in sources.bg_root.iterdir()) == [f"scene_{i:03d}.jpg" for i in range(3)]


def test_foreground_images_and_alphas_match(sources: HhmDemoSources) -> None:
    for name in sources.foreground_names:
        with Image.open(sources.image_root / "images" / name) as image:
            assert (image.format, image.mode, image.size) == ("JPEG", "RGB", FG_SIZE)
            rgb = np.asarray(image)
        with Image.open(_alpha_path(sources, name)) as matte:
            assert (matte.format, matte.mode) == ("PNG", "L")
            alpha = np.asarray(matte)
        assert alpha.dtype == np.uint8
        assert alpha.shape == (FG_SIZE[1], FG_SIZE[0])
        assert rgb[alpha == 0].mean() > 20, "background of the photo should not be black"


def test_alpha_is_soft_with_opaque_interior(sources: HhmDemoSources) -> None:
    for name in sources.foreground_names:
        alpha = np.asarray(Image.open(_alpha_path(sources, name)))
        soft = float(((alpha > 0) & (alpha < 255)).mean())
        assert 0.03 <= soft <= 0.15, f"{name}: soft fraction {soft:.3f}"
        assert (alpha == 255).mean() > 0.15
        assert (alpha == 0).mean() > 0.2
        assert alpha[0].max() == 0 and alpha[:, 0].max() == 0 and alpha[:, -1].max() == 0


def test_backgrounds_are_landscape_rgb_jpegs(sources: HhmDemoSources) -> None:
    for path in sorted(sources.bg_root.iterdir()):
        with Image.open(path) as image:
            assert (image.format, image.mode, image.size) == ("JPEG", "RGB", BG_SIZE)
            assert np.asarray(image).std() > 10


def test_invalid_list_uses_crlf_and_names_an_image(sources: HhmDemoSources) -> None:
    data = sources.invalid_names.read_bytes()
    assert data.endswith(b"\r\n\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    names = [line for line in data.decode("ascii").split("\r\n") if line]
    assert names == [sources.foreground_names[-1]]
    assert (sources.image_root / "images" / names[0]).is_file()


def test_same_arguments_give_identical_bytes(tmp_path: Path) -> None:
    first = make_hhm_sources(tmp_path / "a", num_foregrounds=3, num_backgrounds=2, seed=7)
    second = make_hhm_sources(tmp_path / "b", num_foregrounds=3, num_backgrounds=2, seed=7)
    assert first.foreground_names == second.foreground_names
    first_files, second_files = _all_bytes(tmp_path / "a"), _all_bytes(tmp_path / "b")
    assert len(first_files) == 3 + 3 + 2 + 1
    assert first_files == second_files


def test_rerun_overwrites_in_place(tmp_path: Path) -> None:
    make_hhm_sources(tmp_path, num_foregrounds=2, num_backgrounds=1, seed=1)
    before = _all_bytes(tmp_path)
    (tmp_path / "hhm" / "images" / "person_000.jpg").write_bytes(b"stale")
    make_hhm_sources(tmp_path, num_foregrounds=2, num_backgrounds=1, seed=1)
    assert _all_bytes(tmp_path) == before


def test_different_seeds_differ(tmp_path: Path) -> None:
    make_hhm_sources(tmp_path / "a", num_foregrounds=2, num_backgrounds=2, seed=0)
    make_hhm_sources(tmp_path / "b", num_foregrounds=2, num_backgrounds=2, seed=1)
    first, second = _all_bytes(tmp_path / "a"), _all_bytes(tmp_path / "b")
    assert first.keys() == second.keys()
    differing = [key for key in first if key.endswith((".jpg", ".png")) and first[key] != second[key]]
    assert len(differing) == 2 + 2 + 2


def test_foregrounds_vary_within_one_run(sources: HhmDemoSources) -> None:
    alphas = [np.asarray(Image.open(_alpha_path(sources, n))) for n in sources.foreground_names]
    assert all(not np.array_equal(alphas[0], other) for other in alphas[1:])


def test_rejects_unusable_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        make_hhm_sources(tmp_path, num_foregrounds=0)
    with pytest.raises(ValueError):
        make_hhm_sources(tmp_path, seed=-1)
    assert not any(tmp_path.iterdir())
