"""The source gate: completeness, decodability and matte normalisation rules, file by file."""
import io
import re

import cv2
import numpy as np
import pytest
from PIL import Image

from mattehub.core.errors import SourceError
from mattehub.core.redact import Redactor, public_name
from mattehub.inputs import gate

MATTE = np.tile(np.arange(0, 240, 4, dtype=np.uint8), (20, 1))  # 60 x 20, many levels


def pil_bytes(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def test_gray_png_passes_through_byte_for_byte():
    data = pil_bytes(Image.fromarray(MATTE))
    matte = gate.decode_matte(data, "m.png", (60, 20))
    assert matte.data == data and matte.note is None and np.array_equal(matte.array, MATTE)


@pytest.mark.parametrize("mode,note", [
    ("I;16", "16-bit matte rounded to 8 bits"),
    ("RGB", "grey matte stored as colour: used one channel"),
    ("P", "grey matte stored as colour: used one channel"),
    ("LA", "RGBA matte: used its A channel"),
])
def test_other_encodings_become_8_bit_grey_png(mode, note):
    if mode == "I;16":
        image = Image.fromarray(MATTE.astype(np.uint16) * 257)
    elif mode == "LA":
        image = Image.merge("LA", [Image.fromarray(np.zeros_like(MATTE)), Image.fromarray(MATTE)])
    else:
        image = Image.fromarray(MATTE).convert(mode)
    matte = gate.decode_matte(pil_bytes(image), "m.png", (60, 20))
    assert matte.note == note
    assert np.array_equal(matte.array, MATTE)
    stored = Image.open(io.BytesIO(matte.data))
    assert stored.mode == "L" and np.array_equal(np.asarray(stored), MATTE)


def test_colour_matte_is_converted_by_luma():
    bgr = np.dstack([MATTE, MATTE // 2, 255 - MATTE])
    data = cv2.imencode(".png", bgr)[1].tobytes()
    matte = gate.decode_matte(data, "m.png")
    assert matte.note == "colour matte converted to grey (luma)"
    assert np.array_equal(matte.array, cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
    imread_gray = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert np.abs(matte.array.astype(int) - imread_gray).max() <= 1  # libpng's own rounding


def test_one_bit_and_jpeg_mattes_are_stored_as_gray_png():
    binary = (MATTE > 100)
    one_bit = gate.decode_matte(pil_bytes(Image.fromarray(binary)), "m.png")
    assert one_bit.note == "png matte stored as 8-bit grey PNG"
    assert set(np.unique(one_bit.array)) == {0, 255}
    jpeg = gate.decode_matte(pil_bytes(Image.fromarray(MATTE), "JPEG"), "m.jpg")
    assert jpeg.note == "jpg matte stored as 8-bit grey PNG" and Image.open(io.BytesIO(jpeg.data)).format == "PNG"


@pytest.mark.parametrize("damage,problem", [
    (lambda d: d[:len(d) // 2], "damaged PNG (truncated"),
    (lambda d: d[:-12], "damaged PNG (truncated: no IEND chunk)"),
    (lambda d: d[:40] + bytes([d[40] ^ 1]) + d[41:], "damaged PNG (CRC error"),
    (lambda d: b"", "is empty"),
])
def test_damaged_png_is_refused_naming_the_file(damage, problem):
    data = damage(pil_bytes(Image.fromarray(MATTE)))
    with pytest.raises(SourceError, match=r"^m\.png: .*" + re.escape(problem)):
        gate.decode_matte(data, "m.png")


def test_truncated_jpeg_and_wrong_size_are_refused():
    data = pil_bytes(Image.fromarray(np.dstack([MATTE] * 3)), "JPEG")
    with pytest.raises(SourceError, match="truncated JPEG"):
        gate.image_header(data[:-200], "x.jpg")
    assert gate.image_header(data, "x.jpg") == (60, 20)
    with pytest.raises(SourceError, match=r"is 60x20 but its image is 20x60"):
        gate.decode_matte(pil_bytes(Image.fromarray(MATTE)), "m.png", (20, 60))


def test_exif_rotated_header_reports_the_displayed_size():
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((20, 60, 3), np.uint8)).save(buffer, "JPEG", exif=exif)
    assert gate.image_header(buffer.getvalue(), "r.jpg") == (20, 60)


def test_redactor_hides_local_roots_and_keeps_urls(tmp_path):
    root = tmp_path / "home" / "alice" / "HHM"
    redact = Redactor([str(root), "hf://datasets/a/b", None])
    record = {"image_root": str(root), "events": [{"path": f"{root}/images/a.jpg",
                                                   "reason": f"cannot read {tmp_path}/other/b.png"}],
              "location": "hf://datasets/a/b/X.zip", "n": 3}
    assert redact(record) == {"image_root": "HHM", "events": [{"path": "images/a.jpg",
                                                               "reason": "cannot read b.png"}],
                              "location": "hf://datasets/a/b/X.zip", "n": 3}
    assert public_name("https://ana:secret@host/x.zip?token=1") == "https://host/x.zip"


@pytest.mark.parametrize("turn", range(1, 9))
def test_pass_through_rgb_turns_every_exif_orientation_like_pillow(turn):
    """The stored image is what ``PIL.ImageOps.exif_transpose`` shows, without a rotation
    tag; an upright RGB PNG keeps its bytes."""
    from PIL import ImageOps

    pixels = np.random.default_rng(turn).integers(0, 256, (6, 9, 3), np.uint8)
    image, exif = Image.fromarray(pixels), Image.Exif()
    exif[0x0112] = turn
    buffer = io.BytesIO()
    image.save(buffer, "PNG", exif=exif)
    data = buffer.getvalue()
    stored = gate.pass_through_rgb(data, "x.png", "png")
    shown = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))))
    with Image.open(io.BytesIO(stored.data)) as result:
        assert np.array_equal(np.asarray(result), shown)
        assert result.getexif().get(0x0112, 1) == 1
    assert stored.size == (shown.shape[1], shown.shape[0])
    assert (stored.data == data) == (turn == 1) and (stored.note is None) == (turn == 1)


def test_image_over_pillows_pixel_limit_is_a_source_error(tmp_path, monkeypatch):
    """Pillow's DecompressionBombError (not an OSError) becomes a SourceError naming the file,
    in the header reads of the gate and of listings."""
    from mattehub.inputs.listing import image_size

    path = tmp_path / "big.png"
    path.write_bytes(pil_bytes(Image.new("L", (150, 150))))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    for read in (lambda: gate.image_header(path.read_bytes(), "big.png"), lambda: image_size(path)):
        with pytest.raises(SourceError, match=r"big\.png.*more pixels than Pillow's limit"):
            read()


def test_trimap_values_checked():
    """0/128/255 kept as is; 0/1/2 mapped with a note; anything else refused."""
    def matte(values):
        array = np.array([values], np.uint8)
        return gate.Matte(array, gate.codecs.encode_png(array))

    kept = matte([0, 128, 255])
    assert gate.check_trimap(kept, "t.png") is kept
    mapped = gate.check_trimap(matte([0, 1, 2, 2]), "t.png")
    assert mapped.array.tolist() == [[0, 128, 255, 255]] and "0/1/2" in mapped.note
    for values in ([0, 1], [0, 64, 255]):
        with pytest.raises(SourceError, match="is not a trimap"):
            gate.check_trimap(matte(values), "t.png")


def test_plain_png_orientation_is_read_from_chunk_headers_without_decoding(monkeypatch):
    """Pillow's getexif on a PNG decodes every pixel to reach chunks after the image data;
    a PNG with no eXIf or text chunk is upright without it. One with a text chunk still asks
    Pillow (an XMP or raw-profile orientation may be there)."""
    from PIL import PngImagePlugin

    plain = pil_bytes(Image.fromarray(np.zeros((4, 6, 3), np.uint8)))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "made here")
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(buffer, "PNG", pnginfo=info)
    texted = buffer.getvalue()
    assert not gate.png_may_be_rotated(plain) and gate.png_may_be_rotated(texted)
    asked = []
    real = Image.Image.getexif
    monkeypatch.setattr(Image.Image, "getexif", lambda self: asked.append(1) or real(self))
    assert gate.pass_through_rgb(plain, "plain.png", "png").data == plain and not asked
    assert gate.pass_through_rgb(texted, "texted.png", "png").data == texted and asked
