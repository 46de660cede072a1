"""Bad-input rows: damaged DUTS trees (the ``duts`` config).

Each case writes a small DUTS tree (tests/duts_tree.py, written without mattehub: DUTS-TR
images ``a`` 60x45, ``b`` 50x70, ``c`` 44x41 with grey PNG masks; DUTS-TE ``d``), damages it
and runs ``mattehub build duts --data-dir TREE``. A file that cannot pair (no mask, no
image, not an image by name, two files sharing a stem) is a counted skip in the build record
naming it; a mask of another size or a damaged image skips its sample, counted with a
``bad_input`` event naming the file; a 3-channel or 16-bit mask is converted to 8-bit grey
with a ``normalised_input`` event naming it; no DUTS tree, no --data-dir or a missing split
are clear errors saying where DUTS comes from. No case may print a traceback.
"""
from __future__ import annotations

import io
import re

import numpy as np
from PIL import Image


from .harness import (BuiltOutput, Case, Env, Fails, Run, Succeeds, built, clean_run,
                      no_shards_written, one_sample_skipped, skipped_inputs_are)

CONFIG = "duts"
SETS = {"DUTS-TR": (("b", 50, 70), ("a", 60, 45), ("c", 44, 41)), "DUTS-TE": (("d", 40, 52),)}
IMAGE, MASK = "DUTS-TR/DUTS-TR-Image/{}.jpg", "DUTS-TR/DUTS-TR-Mask/{}.png"
HOME = r"saliencydetection\.net/duts"


def _tree(env: Env):
    from duts_tree import make_duts_tree

    return make_duts_tree(env.tmp / "DUTS", sets=SETS)


def _build(damage, *extra: str, data_dir: bool = True, split: str = "train"):
    """Write the tree, ``damage(tree)``, build ``split`` of duts from it into ``tmp/out``
    (``data_dir=False``: leave --data-dir out)."""
    def run(env: Env) -> Run:
        tree = _tree(env)
        damage(tree)
        args = ["build", CONFIG, "--out", env.tmp / "out", "--split", split, "--no-progress"]
        return env.cli(*args, *(["--data-dir", tree.root] if data_dir else []), *extra)
    return run


# What the build left --------------------------------------------------------------------

def _out(env: Env) -> BuiltOutput:
    return built(env, CONFIG)


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))




# Damage ---------------------------------------------------------------------------------

def _none(tree) -> None:
    pass


def _remove(path: str):
    def damage(tree) -> None:
        tree.remove(path)
    return damage


def _grey_mask(tree, name: str) -> np.ndarray:
    return _pixels(tree.files[MASK.format(name)])


def _mask_rgb(tree) -> None:
    """b's mask stored as an RGB PNG with three equal channels."""
    from duts_tree import png_bytes

    grey = _grey_mask(tree, "b")
    tree.write(MASK.format("b"), png_bytes(np.repeat(grey[:, :, None], 3, axis=2), "RGB"))


def _mask_16_bit(tree) -> None:
    """b's mask as a 16-bit grey PNG (value * 257: 255 -> 65535)."""
    grey = _grey_mask(tree, "b")
    buffer = io.BytesIO()
    Image.fromarray(grey.astype(np.uint16) * 257).save(buffer, "PNG")
    assert Image.open(io.BytesIO(buffer.getvalue())).mode.startswith("I")
    tree.write(MASK.format("b"), buffer.getvalue())


def _mask_other_size(tree) -> None:
    from duts_tree import disc_mask, png_bytes

    tree.write(MASK.format("b"), png_bytes(disc_mask(51, 70, 0), "L"))


def _image_truncated(tree) -> None:
    data = tree.files[IMAGE.format("b")]
    tree.write(IMAGE.format("b"), data[:len(data) - 200])


def _junk(tree) -> None:
    """A Thumbs.db beside the images, a notes.txt beside the masks, a hidden .DS_Store."""
    tree.write("DUTS-TR/DUTS-TR-Image/Thumbs.db", b"\0" * 32)
    tree.write("DUTS-TR/DUTS-TR-Mask/notes.txt", b"masks by hand\n")
    tree.write("DUTS-TR/DUTS-TR-Image/.DS_Store", b"\0" * 16)


def _two_masks(tree) -> None:
    """b has b.png and b.jpg masks: which one pairs is unclear, so neither does."""
    buffer = io.BytesIO()
    Image.fromarray(_grey_mask(tree, "b")).save(buffer, "JPEG")
    tree.write("DUTS-TR/DUTS-TR-Mask/b.jpg", buffer.getvalue())


def _no_tree(tree) -> None:
    import shutil

    for top in ("DUTS-TR", "DUTS-TE"):
        shutil.rmtree(tree.root / top)


def _no_test_split(tree) -> None:
    import shutil

    shutil.rmtree(tree.root / "DUTS-TE")


def _images_not_rgb(tree) -> None:
    """a re-saved as a grey JPEG (1 component), c as a CMYK JPEG (4 components)."""
    for name, mode in (("a", "L"), ("c", "CMYK")):
        buffer = io.BytesIO()
        Image.open(io.BytesIO(tree.files[IMAGE.format(name)])).convert(mode).save(buffer, "JPEG")
        tree.write(IMAGE.format(name), buffer.getvalue())


def _image_exif_rotated(tree) -> None:
    """b's pixels stored 70x50 with EXIF orientation 6 (shown 50x70, its mask's size)."""
    shown = _pixels(tree.files[IMAGE.format("b")])
    stored = Image.fromarray(np.ascontiguousarray(np.rot90(shown, 1)))  # 6: turn 90 clockwise to show
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=95, exif=exif)
    tree.write(IMAGE.format("b"), buffer.getvalue())


def _image_over_pixel_limit(env: Env):
    """b (and its mask) 200x200, with Pillow's pixel limit lowered to 10000 for the run:
    b has over twice the limit (Pillow's DecompressionBombError), a and c are under it."""
    def damage(tree) -> None:
        from duts_tree import disc_mask, jpeg_bytes, png_bytes

        limit = Image.MAX_IMAGE_PIXELS
        env.cleanups.append(lambda: setattr(Image, "MAX_IMAGE_PIXELS", limit))
        Image.MAX_IMAGE_PIXELS = 10_000
        tree.write(IMAGE.format("b"), jpeg_bytes(np.full((200, 200, 3), 90, np.uint8)))
        tree.write(MASK.format("b"), png_bytes(disc_mask(200, 200, 0), "L"))
    return damage


def _masks_linked(target: str):
    """DUTS-TR-Mask moved to ``target`` (relative to DUTS-TR/) and replaced by a symbolic link
    to it: inside the tree (followed) or outside the data folder (refused)."""
    def damage(tree) -> None:
        import os

        top = tree.root / "DUTS-TR"
        moved = (top / target).resolve()
        moved.parent.mkdir(parents=True, exist_ok=True)
        os.rename(top / "DUTS-TR-Mask", moved)
        (top / "DUTS-TR-Mask").symlink_to(os.path.relpath(moved, top), target_is_directory=True)
    return damage


def _build_with_env(make_damage):
    """``_build`` for a damage that needs the case's Env (to undo a global setting)."""
    def run(env: Env) -> Run:
        return _build(make_damage(env))(env)
    return run


# Checks ---------------------------------------------------------------------------------

def _skipped_at_scan(want: dict[str, str], used: tuple[str, ...]):
    """The build record names exactly the files in ``want`` (path -> reason pattern) as
    skipped inputs; the samples are the pairs ``used``, in name order."""
    def check(env: Env, run: Run) -> None:
        sources = skipped_inputs_are(env, run, CONFIG, want)
        assert [r["meta"]["name"] for r in _out(env).rows()] == list(used)
        assert sources["samples"] == len(used)
    return check


def _skipped_sample(path: str, pattern: str):
    """b (sample 1) is a counted skip with a bad_input event naming ``path``; a, c are made."""
    def check(env: Env, run: Run) -> None:
        one_sample_skipped(env, run, CONFIG, path, pattern)
        assert _out(env).summary()["event_counts"]["bad_input"] == 1
        assert [r["meta"]["name"] for r in _out(env).rows()] == ["a", "c"]
        assert _out(env).record()["sources"]["skipped_inputs"] == []
    return check


def _converted(note: str):
    """b's mask is converted to 8-bit grey (the original grey values exactly), with one
    normalised_input event naming it; its trimap is the one of the converted alpha."""
    def check(env: Env, run: Run) -> None:
        from duts_tree import disc_mask

        from mattehub.synthesis.trimap import trimap

        events = _out(env).events()
        clean_run(env, run, events)
        notes = [e for e in events if e["kind"] == "normalised_input"]
        assert notes == [{"kind": "normalised_input", "path": MASK.format("b"), "reason": note,
                          "index": 1}], notes
        assert _out(env).summary()["event_counts"] == {"normalised_input": 1}
        rows = {r["meta"]["name"]: r for r in _out(env).rows()}
        assert sorted(rows) == ["a", "b", "c"]
        alpha = _pixels(rows["b"]["alpha"]["bytes"])
        assert alpha.dtype == np.uint8 and alpha.ndim == 2
        assert np.array_equal(alpha, disc_mask(50, 70, 0))  # b was written first: disc seed 0
        assert np.array_equal(_pixels(rows["b"]["trimap"]["bytes"]), trimap(alpha, "duts"))
    return check


def _source_rgb(env: Env, name: str) -> np.ndarray:
    """The source image ``name`` as Pillow shows it: RGB, EXIF orientation applied."""
    from PIL import ImageOps

    with Image.open(env.tmp / "DUTS" / IMAGE.format(name)) as image:
        return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))


def _images_converted(want: dict[str, str]):
    """The images in ``want`` (name -> note pattern) are stored as upright RGB JPEGs close to
    their source pixels, one normalised_input event each; the others keep their bytes; every
    stored image has its alpha's size, whatever the reader, and ``mattehub verify`` agrees."""
    def check(env: Env, run: Run) -> None:
        events = _out(env).events()
        clean_run(env, run, events)
        notes = {e["path"]: e["reason"] for e in events if e["kind"] == "normalised_input"}
        assert set(notes) == {IMAGE.format(name) for name in want}, notes
        rows = {r["meta"]["name"]: r for r in _out(env).rows()}
        assert sorted(rows) == ["a", "b", "c"]
        for name, row in rows.items():
            stored = row["image"]["bytes"]
            with Image.open(io.BytesIO(stored)) as image:
                assert image.mode == "RGB" and image.getexif().get(0x0112, 1) == 1, name
                assert image.size == Image.open(io.BytesIO(row["alpha"]["bytes"])).size, name
                assert image.size == (row["meta"]["width"], row["meta"]["height"]), name
            if name in want:
                assert re.search(want[name], notes[IMAGE.format(name)]), notes
                error = np.abs(_pixels(stored).astype(int) - _source_rgb(env, name)).mean()
                assert error < 10, (name, error)  # JPEG of noise: ~6; a wrong turn or colour: ~80
            else:
                assert stored == (env.tmp / "DUTS" / IMAGE.format(name)).read_bytes(), name
        _webdataset_sizes_agree(env)
        verified = env.cli("verify", env.tmp / "out")
        assert verified.code == 0 and "Traceback" not in verified.err, verified.out + verified.err
    return check


def _webdataset_sizes_agree(env: Env) -> None:
    """In the tar shards, each sample's image.jpg and alpha.png have one size (no EXIF)."""
    import tarfile
    from collections import defaultdict

    sizes: dict[str, dict[str, tuple]] = defaultdict(dict)
    tars = sorted((env.tmp / "out").rglob("*.tar"))
    assert tars
    for path in tars:
        with tarfile.open(path) as tar:
            for member in tar.getmembers():
                key, _, field = member.name.partition(".")
                if field in ("image.jpg", "alpha.png"):
                    with Image.open(tar.extractfile(member)) as image:
                        sizes[key][field] = image.size
    assert sizes and all(s["image.jpg"] == s["alpha.png"] for s in sizes.values()), sizes


CASES: list[Case] = [
    Case("duts-mask-missing", "duts: an image without its mask is a counted skip naming it",
         _build(_remove(MASK.format("b"))), Succeeds(),
         _skipped_at_scan({IMAGE.format("b"): r"has no mask \(DUTS-TR/DUTS-TR-Mask/b\.png\)"},
                          ("a", "c"))),
    Case("duts-image-missing", "duts: a mask without its image is a counted skip naming it",
         _build(_remove(IMAGE.format("c"))), Succeeds(),
         _skipped_at_scan({MASK.format("c"): r"has no image \(DUTS-TR/DUTS-TR-Image/c\.jpg\)"},
                          ("a", "b"))),
    Case("duts-mask-3-channel", "duts: a mask stored as 3-channel PNG is converted, said in the stats",
         _build(_mask_rgb), Succeeds(), _converted("grey matte stored as colour: used one channel")),
    Case("duts-mask-16-bit", "duts: a 16-bit mask is rounded to 8 bits, said in the stats",
         _build(_mask_16_bit), Succeeds(), _converted("16-bit matte rounded to 8 bits")),
    Case("duts-mask-other-size", "duts: a mask of another size than its image: counted skip naming it",
         _build(_mask_other_size), Succeeds(),
         _skipped_sample(MASK.format("b"), r"is 51x70 but its image is 50x70")),
    Case("duts-image-truncated", "duts: a truncated JPEG image: its sample is a counted skip",
         _build(_image_truncated), Succeeds(),
         _skipped_sample(IMAGE.format("b"), r"truncated JPEG")),
    Case("duts-image-not-rgb", "duts: grey and CMYK JPEG images are re-encoded as RGB JPEG, "
         "said in the stats; RGB JPEGs keep their bytes", _build(_images_not_rgb), Succeeds(),
         _images_converted({"a": r"^L JPEG", "c": r"^CMYK JPEG"})),
    Case("duts-image-exif-rotated", "duts: an EXIF-rotated image whose mask has its shown size is "
         "stored upright (event); verify, Parquet and WebDataset readers agree on its size",
         _build(_image_exif_rotated), Succeeds(), _images_converted({"b": r"EXIF orientation 6"})),
    Case("duts-image-over-pixel-limit", "duts: an image over Pillow's pixel limit: its sample is a "
         "counted skip naming it (no DecompressionBombError)",
         _build_with_env(_image_over_pixel_limit), Succeeds(),
         _skipped_sample(IMAGE.format("b"), r"more pixels than Pillow's limit")),
    Case("duts-mask-folder-linked-inside", "duts: DUTS-TR-Mask is a symbolic link to a folder "
         "elsewhere in --data-dir: followed, every pair made",
         _build(_masks_linked("../store/masks")),
         Succeeds(), _skipped_at_scan({}, ("a", "b", "c"))),
    Case("duts-mask-folder-linked-outside", "duts: DUTS-TR-Mask is a symbolic link to a folder "
         "outside the data folder: a clear error naming the link",
         _build(_masks_linked("../../elsewhere/masks")),
         Fails(r"DUTS-TR/DUTS-TR-Mask: is a symbolic link to a folder that resolves outside "
               r"the data folder"), no_shards_written),
    Case("duts-junk-files", "duts: non-image files in the Image/Mask folders are counted skips "
         "(hidden files ignored)", _build(_junk), Succeeds(),
         _skipped_at_scan({"DUTS-TR/DUTS-TR-Image/Thumbs.db": r"is not a JPEG image",
                           "DUTS-TR/DUTS-TR-Mask/notes.txt": r"is not a mask image"}, ("a", "b", "c"))),
    Case("duts-two-masks-one-stem", "duts: two masks for one image: neither pairs, all named",
         _build(_two_masks), Succeeds(),
         _skipped_at_scan({IMAGE.format("b"): r"has several masks \(b\.jpg, b\.png\)",
                           MASK.format("b"): r"shares its stem",
                           "DUTS-TR/DUTS-TR-Mask/b.jpg": r"shares its stem"}, ("a", "c"))),
    Case("duts-no-tree", "duts: --data-dir holds no DUTS tree: a clear error saying where DUTS "
         "comes from", _build(_no_tree),
         Fails(rf"has no DUTS-TR/ folder and no DUTS-TR\.zip for split 'train'.*{HOME}"),
         no_shards_written),
    Case("duts-no-data-dir", "duts: no --data-dir (the release URL default): a clear error",
         _build(_none, data_dir=False),
         Fails(rf"duts needs data_dir=: .*DUTS-TR/ and DUTS-TE/ or their zips.*{HOME}"),
         no_shards_written),
    Case("duts-split-missing", "duts: --split test when only DUTS-TR is there",
         _build(_no_test_split, split="test"),
         Fails(r"has no DUTS-TE/ folder and no DUTS-TE\.zip for split 'test' \(it holds the train split\)"),
         no_shards_written),
    Case("duts-unknown-split", "duts: a split DUTS does not have",
         _build(_none, split="val"), Fails(r"duts has the splits train, test .*not 'val'"),
         no_shards_written),
]
