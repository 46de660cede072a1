"""Does a deflate library's output depend on the CPU? Digests of its output, to compare
between machines (or emulated CPUs).

    python benchmarks/codec_determinism.py > native.txt
    PYTHONPATH=<venv>/lib/python3.X/site-packages \\
        qemu-x86_64 -cpu Haswell-v4 <real python binary> benchmarks/codec_determinism.py > haswell.txt
    diff native.txt haswell.txt     # also -cpu Nehalem-v1 (SSE4.2, no AVX), Conroe-v1 (no SSE4.1)

(``apt-get install qemu-user``; numpy may need a newer CPU than the emulated one, so this
script uses the standard library only.) One line per library and setting: a digest over
the compressed bytes of five inputs (an Up-filtered and an unfiltered matte-like image, text,
noise, a mix) and their sizes; every output is checked to decompress back. Measured for issue
20 (zlib 1.2.13, zlib-ng 2.3.3 via zlib-ng 1.1.0, ISA-L via isal 1.9.1, libdeflate 1.25 via
deflate 0.9.0) on an AVX-512 host and under qemu 7.2 with the three CPUs above: only ISA-L
changed (level 3 on every CPU, levels 0-2 on Conroe); zlib-ng's RLE equals stock zlib's.
"""
from __future__ import annotations

import hashlib
import random
import zlib
from collections.abc import Callable

Compress = Callable[[bytes], bytes]


def inputs() -> dict[str, bytes]:
    """Fixed inputs from a seeded generator: PNG-like rows of a soft-edged matte and more."""
    rng = random.Random(0)
    width, rows = 1024, []
    for y in range(256):
        x0 = 300 + 80 * (y % 97) // 97
        row = bytearray(x0 - 8) + bytes(32 * k for k in range(8)) + b"\xff" * 400
        row += bytes(255 - 32 * k for k in range(8))
        rows.append(bytes(row + bytearray(width - len(row))))
    previous = [bytes(width)] + rows[:-1]
    up = b"".join(b"\x02" + bytes((a - b) & 255 for a, b in zip(r, p)) for r, p in zip(rows, previous))
    none = b"".join(b"\x00" + r for r in rows)
    words = (b"alpha", b"matte", b"png", b"deflate", b"hair", b"edge")
    text = b" ".join(rng.choice(words) for _ in range(60000))
    noise = rng.randbytes(100000)
    return {"up": up, "none": none, "text": text, "noise": noise, "mix": noise[:20000] + none + text[:50000]}


def routes() -> dict[str, Compress]:
    """Library and setting -> zlib-wrapped compressor, for the libraries installed."""
    def strategy(module, level: int, strat: int) -> Compress:
        def compress(data: bytes) -> bytes:
            compressor = module.compressobj(level, module.DEFLATED, 15, 8, strat)
            return compressor.compress(data) + compressor.flush()
        return compress

    out: dict[str, Compress] = {f"zlib L{lv}": (lambda d, lv=lv: zlib.compress(d, lv)) for lv in (1, 6)}
    out["zlib RLE"] = strategy(zlib, 1, zlib.Z_RLE)
    try:
        from zlib_ng import zlib_ng
        out.update({f"zlib-ng L{lv}": (lambda d, lv=lv: zlib_ng.compress(d, lv)) for lv in (1, 2, 6, 9)})
        out["zlib-ng RLE"] = strategy(zlib_ng, 1, zlib_ng.Z_RLE)
    except ImportError:
        print("zlib-ng not installed")
    try:
        from isal import isal_zlib
        out.update({f"isal L{lv}": (lambda d, lv=lv: isal_zlib.compress(d, lv)) for lv in (0, 1, 2, 3)})
    except ImportError:
        print("isal not installed")
    try:
        import deflate
        out.update({f"libdeflate L{lv}": (lambda d, lv=lv: bytes(deflate.zlib_compress(d, lv)))
                    for lv in (1, 2, 6, 9, 12)})
    except ImportError:
        print("deflate (libdeflate) not installed")
    return out


def main() -> None:
    data = inputs()
    for name, compress in routes().items():
        digest, sizes = hashlib.sha256(), []
        for key in sorted(data):
            compressed = compress(data[key])
            assert zlib.decompress(compressed) == data[key], (name, key)
            digest.update(compressed)
            sizes.append(len(compressed))
        print(f"{name:16s} {digest.hexdigest()[:16]} {sizes}")


if __name__ == "__main__":
    main()
