"""PNG and JPEG encoders for mattehub's sample fields, timed on this machine (one core).

    python benchmarks/bench_codecs.py [--repeats 7] [--quick]

Prints markdown tables (MP/s best of ``--repeats`` rounds, bytes per image) for the arrays
mattehub encodes most: 1024x768 soft-edged human mattes (``i-him``), 224x224 binary masks
(``overlay-depth``), mostly-empty 320x240 planes (``surreal-alpha``), 224x224 16-bit smooth
depth, and RGB photos as PNG; then JPEG encoders at the qualities the families use.

PNG candidates: ``mattehub`` (``codecs.encode_png``: fixed filter + zlib-ng's run-length
deflate, see ``mattehub/contract/png.py``); OpenCV (libpng) with the settings mattehub used
before issue 20 ("opencv before": 8-bit grey no filter + zlib RLE level 3, 16-bit ``smooth``
Up + RLE level 1, other 16-bit as 8-bit, RGB adaptive filters level 3) and with a fixed Up or
Sub filter; mattehub's filter with other deflates: stdlib zlib RLE, libdeflate, ISA-L, zlib-ng's
hash levels; imagecodecs' libpng and libspng encoders where imagecodecs is installed (pyspng
only decodes). Only zlib-ng RLE and libdeflate give the same bytes on every machine (ISA-L
does not, zlib-ng's hash levels are not promised to; see ``mattehub/contract/png.py``).
Every candidate's output is decoded once with Pillow and checked against the input.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import time
import zlib
from collections.abc import Callable

import cv2
import numpy as np
from PIL import Image

from mattehub.contract import codecs, png
from mattehub.families import standins

Encoder = Callable[[np.ndarray], bytes]


def corpus() -> dict[str, list[np.ndarray]]:
    """Arrays like the ones mattehub writes (see the module docstring), drawn from a seed."""
    people = [standins._render_foreground(np.random.default_rng([7, 0, i]), (1024, 768))
              for i in range(3)]
    mattes = [alpha for _, alpha in people]
    photos = [rgb for rgb, _ in people]
    masks = [_binary(cv2.resize(a, (224, 224), interpolation=cv2.INTER_AREA)) for a in mattes]
    planes = [_plane(alpha, i) for i, alpha in enumerate(mattes)]
    return {"matte 1024x768": mattes, "mask 224x224": masks,
            "surreal alpha 320x240": [p[0] for p in planes],
            "surreal depth16 320x240": [p[1] for p in planes],
            "surreal segmentation 320x240": [p[2] for p in planes],
            "depth16 smooth 224x224": [_smooth_depth(np.random.default_rng([3, i])) for i in range(3)],
            "rgb 224x224": [cv2.resize(p, (224, 224), interpolation=cv2.INTER_AREA) for p in photos],
            "rgb 1024x768": photos}


def _binary(gray: np.ndarray) -> np.ndarray:
    return np.where(gray > 127, 255, 0).astype(np.uint8)


def _plane(alpha: np.ndarray, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A surreal-alpha-like frame: a small person (~8% of a 320x240 canvas, the rest zero)
    as binary alpha, 16-bit depth in millimetres and a body-part label map."""
    person = _binary(cv2.resize(alpha, (72, 96), interpolation=cv2.INTER_AREA)) > 0
    y, x = 90 + 20 * index, 40 + 90 * index
    box = (slice(y, y + 96), slice(x, x + 72))
    alpha_plane, depth, labels = (np.zeros((240, 320), t) for t in (np.uint8, np.uint16, np.uint8))
    alpha_plane[box] = np.where(person, 255, 0)
    rows, cols = np.mgrid[:96, :72]
    depth[box] = np.where(person, 4000 + 3 * rows + (cols - 36) ** 2 // 8, 0)
    labels[box] = np.where(person, 1 + rows // 8, 0)
    return alpha_plane, depth, labels


def _smooth_depth(rng: np.random.Generator) -> np.ndarray:
    """A model-like 16-bit depth map: a blurred random field over a vertical ramp."""
    field = cv2.GaussianBlur(rng.random((224, 224)).astype(np.float32), (0, 0), 12)
    field = (field - field.min()) / (field.max() - field.min() + 1e-9)
    ramp = np.linspace(0, 1, 224, dtype=np.float32)[:, None]
    return np.rint((0.6 * field + 0.4 * ramp) * 65535).astype(np.uint16)


def _cv2_png(params: list[int]) -> Encoder:
    def encode(array: np.ndarray) -> bytes:
        if array.ndim == 3:
            array = cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
        return cv2.imencode(".png", array, params)[1].tobytes()
    return encode


def _fixed(filter_type: int, compress: Callable[[np.ndarray], bytes]) -> Encoder:
    return lambda array: png.assemble(array, compress(png.filtered_rows(array, filter_type)))


def _before(kind: str) -> list[int]:
    """OpenCV settings of ``codecs.encode_png`` before issue 20."""
    c = cv2
    return {"grey": [c.IMWRITE_PNG_COMPRESSION, 3, c.IMWRITE_PNG_FILTER, c.IMWRITE_PNG_FILTER_NONE,
                     c.IMWRITE_PNG_STRATEGY, c.IMWRITE_PNG_STRATEGY_RLE],
            "smooth": [c.IMWRITE_PNG_COMPRESSION, 1, c.IMWRITE_PNG_FILTER, c.IMWRITE_PNG_FILTER_UP,
                       c.IMWRITE_PNG_STRATEGY, c.IMWRITE_PNG_STRATEGY_RLE],
            "rgb": [c.IMWRITE_PNG_COMPRESSION, 3]}[kind]


def png_candidates(kind: str, smooth: bool, chosen: int) -> dict[str, Encoder]:
    """Name -> encoder; ``kind`` (grey or rgb) and ``smooth`` pick the "before" settings,
    ``chosen`` is the filter mattehub uses (the other deflates are tried with it)."""
    c = cv2
    out = {"opencv before": _cv2_png(_before("smooth" if smooth else kind)),
           "mattehub (zlib-ng RLE)": lambda a: codecs.encode_png(a, smooth=smooth),
           "opencv up L1": _cv2_png([c.IMWRITE_PNG_COMPRESSION, 1, c.IMWRITE_PNG_FILTER, c.IMWRITE_PNG_FILTER_UP]),
           "opencv sub L1": _cv2_png([c.IMWRITE_PNG_COMPRESSION, 1, c.IMWRITE_PNG_FILTER, c.IMWRITE_PNG_FILTER_SUB])}
    names = {png.FILTER_NONE: "none", png.FILTER_SUB: "sub", png.FILTER_UP: "up"}
    for ftype, fname in names.items():
        if ftype != chosen:
            out[f"{fname} + zlib-ng RLE"] = _fixed(ftype, png.rle_deflate)
    for dname, compress in _deflaters().items():
        out[f"{names[chosen]} + {dname}"] = _fixed(chosen, compress)
    try:
        import imagecodecs
    except ImportError:
        return out
    out["imagecodecs png up L1 rle"] = lambda a: imagecodecs.png_encode(a, level=1, strategy=3, filter=32)
    out["imagecodecs png sub L1 rle"] = lambda a: imagecodecs.png_encode(a, level=1, strategy=3, filter=16)
    out["imagecodecs spng L1"] = lambda a: imagecodecs.spng_encode(a, level=1)
    return out


def _deflaters() -> dict[str, Callable[[np.ndarray], bytes]]:
    """Other deflates, zlib-wrapped, those that are installed (stdlib zlib always is)."""
    def stdlib_rle(data: np.ndarray) -> bytes:
        compressor = zlib.compressobj(1, zlib.DEFLATED, 15, 8, zlib.Z_RLE)
        return compressor.compress(data) + compressor.flush()

    out: dict[str, Callable[[np.ndarray], bytes]] = {"stdlib zlib RLE": stdlib_rle}
    with contextlib.suppress(ImportError):
        import deflate
        for level in (1, 2, 6):
            out[f"libdeflate L{level}"] = lambda d, lv=level: bytes(deflate.zlib_compress(d, lv))
    with contextlib.suppress(ImportError):
        from isal import isal_zlib
        for level in (1, 3):
            out[f"isal L{level} (CPU-dependent)"] = lambda d, lv=level: isal_zlib.compress(d, lv)
    with contextlib.suppress(ImportError):
        from zlib_ng import zlib_ng
        out["zlib-ng L2 (no promise)"] = lambda d: zlib_ng.compress(d, 2)
    return out


def best_seconds(encode: Callable[[np.ndarray], object], arrays: list[np.ndarray], repeats: int) -> float:
    """Best-of-``repeats`` wall time to encode every array once (each round loops enough
    times to last ~20 ms, so the timer's resolution does not matter)."""
    start = time.perf_counter()
    for array in arrays:
        encode(array)
    loops = max(1, int(0.02 / max(time.perf_counter() - start, 1e-6)))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            for array in arrays:
                encode(array)
        best = min(best, (time.perf_counter() - start) / loops)
    return best


def png_table(name: str, arrays: list[np.ndarray], repeats: int) -> str:
    kind, smooth = ("rgb" if arrays[0].ndim == 3 else "grey"), "smooth" in name
    up = smooth or arrays[0].dtype == np.uint16
    chosen = png.FILTER_SUB if kind == "rgb" else png.FILTER_UP if up else png.FILTER_NONE
    pixels = sum(a.shape[0] * a.shape[1] for a in arrays)
    rows, base = [], None
    for cname, encode in png_candidates(kind, smooth, chosen).items():
        datas = [encode(a) for a in arrays]
        for array, data in zip(arrays, datas):
            decoded = np.asarray(Image.open(io.BytesIO(data)))
            assert decoded.dtype == array.dtype and np.array_equal(decoded, array), cname
        seconds = best_seconds(encode, arrays, repeats)
        size = sum(map(len, datas)) / len(arrays)
        base = base or (seconds, size)
        rows.append(f"| {cname} | {pixels / seconds / 1e6:.0f} | {base[0] / seconds:.2f}x "
                    f"| {size:,.0f} | {size / base[1]:.3f} |")
    head = (f"\n#### PNG, {name} ({len(arrays)} arrays)\n\n| encoder | MP/s | speed vs before "
            "| bytes/image | size vs before |\n|---|---:|---:|---:|---:|")
    return "\n".join([head, *rows])


def jpeg_candidates(quality: int) -> dict[str, Encoder]:
    """Name -> JPEG encoder at ``quality``, 4:2:0 (simplejpeg only where installed)."""
    def pil(rgb: np.ndarray) -> bytes:
        buffer = io.BytesIO()
        Image.fromarray(rgb).save(buffer, "JPEG", quality=quality, subsampling=2)
        return buffer.getvalue()

    params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    out = {"opencv (RGB->BGR + imencode)": lambda rgb: cv2.imencode(
               ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params)[1].tobytes(),
           "opencv (BGR in: no conversion)": lambda bgr: cv2.imencode(".jpg", bgr, params)[1].tobytes(),
           "PIL": pil}
    with contextlib.suppress(ImportError):
        import simplejpeg
        out["simplejpeg (RGB in)"] = lambda rgb: simplejpeg.encode_jpeg(
            rgb, quality, colorspace="RGB", colorsubsampling="420")
    return out


def jpeg_table(photos: list[np.ndarray], repeats: int) -> str:
    lines = ["\n#### JPEG 4:2:0 baseline (`opencv` counts its RGB->BGR conversion)\n",
             "| image | quality | encoder | MP/s | bytes/image | same bytes as opencv | max abs pixel diff vs opencv |",
             "|---|---:|---|---:|---:|---|---:|"]
    for size, quality in (((224, 224), 50), ((224, 224), 95), ((1024, 768), 95)):
        arrays = [cv2.resize(p, size, interpolation=cv2.INTER_AREA) for p in photos]
        pixels = sum(a.shape[0] * a.shape[1] for a in arrays)
        reference = None
        for cname, encode in jpeg_candidates(quality).items():
            inputs = [cv2.cvtColor(a, cv2.COLOR_RGB2BGR) for a in arrays] if "BGR in" in cname else arrays
            datas = [encode(a) for a in inputs]
            decoded = [np.asarray(Image.open(io.BytesIO(d)), dtype=np.int16) for d in datas]
            reference = reference or (datas, decoded)
            same = datas == reference[0]
            diff = max(int(np.abs(d - r).max()) for d, r in zip(decoded, reference[1]))
            seconds = best_seconds(encode, inputs, repeats)
            lines.append(f"| {size[0]}x{size[1]} | {quality} | {cname} | {pixels / seconds / 1e6:.0f} "
                         f"| {sum(map(len, datas)) / len(arrays):,.0f} | {same} | {diff} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="3 repeats, mattes and JPEG only")
    args = parser.parse_args()
    repeats = 3 if args.quick else args.repeats
    data = corpus()
    if args.quick:
        data = {"matte 1024x768": data["matte 1024x768"], "rgb 1024x768": data["rgb 1024x768"]}
    print(f"Best of {repeats} rounds, in one process; MP/s = megapixels encoded per second; "
          '"before" = OpenCV with the settings mattehub used before issue 20.')
    for name, arrays in data.items():
        print(png_table(name, arrays, repeats))
    print(jpeg_table(data["rgb 1024x768"], repeats))


if __name__ == "__main__":
    main()
