"""``bench_release_stream.py``'s workloads, each run in a fresh process (``--child``): the
release streamed in place (a), the upstream route (b), raw member reads (c), ``recipe.make``
(m) and the time to the first sample (d); the docstring of ``bench_release_stream.py`` says
what each measures."""
from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from common import array_values, check_snapshot, child_result, children_cpu_seconds, timed
from release_stream_data import TOP


def child(spec: dict) -> None:
    check_snapshot(Path(spec["code"]))
    kind = spec["kind"]
    run = {"stream": stream_decoded, "arrays": stream_arrays, "baseline": baseline,
           "raw": raw_members, "make": make_all, "first": first_sample}[kind]
    if kind in ("stream", "arrays", "first"):
        spec = dict(spec, torch_import_seconds=import_torch())
        import_stream_modules()
    if kind == "first":
        child_result(run(spec))
        return
    child_result(dict(timed(lambda: run(spec), spec.get("profile_out")),
                      torch_import_seconds=spec.get("torch_import_seconds")))


def import_stream_modules() -> None:
    """Import ``datasets`` and the mattehub builder before the timer, as a training script
    has: since issue 18 ``import mattehub`` is cheap and loads them on first use, which would
    otherwise put about a second of imports into (a) that earlier code paid at import."""
    import datasets  # noqa: F401
    try:
        import mattehub.streaming.builder  # noqa: F401
    except ImportError:  # code from before issue 18: ``import mattehub`` loaded the builder
        pass


def import_torch() -> float | None:
    """Import torch when installed (``datasets`` does on its first IterableDataset; a
    training script has it already); its seconds, None when not installed."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return None
    start = time.perf_counter()
    import torch  # noqa: F401

    return time.perf_counter() - start


def _stream(zips: str):
    import datasets

    import mattehub  # noqa: F401  (registers the builder)

    return datasets.load_dataset("mattehub", "i-him50k", data_dir=zips, streaming=True)["train"]


def stream_decoded(spec: dict) -> dict:
    """(a): every row, image + alpha + instance alphas decoded to numpy."""
    import numpy as np

    rows, pixels = 0, 0
    for row in _stream(spec["zips"]):
        arrays = [np.asarray(row["image"]), np.asarray(row["alpha"])]
        arrays += [np.asarray(a) for a in row["instance_alphas"]]
        pixels += sum(a.size for a in arrays)
        rows += 1
    return {"samples": rows, "decoded_values": pixels}


def stream_arrays(spec: dict) -> dict:
    """(a-arrays): every row through ``mattehub.training.as_arrays``: the stored bytes decoded
    to uint8 arrays without Pillow (the route training takes)."""
    from mattehub.training import as_arrays

    rows, pixels = 0, 0
    for example in as_arrays(_stream(spec["zips"])):
        pixels += array_values(example)
        rows += 1
    return {"samples": rows, "decoded_values": pixels}


def baseline(spec: dict) -> dict:
    """(b): zip -F + unzip + cv2 decode of every file; the extra disk it used. CPU seconds
    include the zip and unzip processes."""
    import cv2

    out = Path(spec["scratch"])
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    subprocess.run(["zip", "-q", "-F", str(Path(spec["zips"]) / f"{TOP}.zip"), "--out",
                    str(out / "all.zip")], check=True)
    subprocess.run(["unzip", "-q", str(out / "all.zip"), "-d", str(out / "x")], check=True)
    images = sorted((out / "x" / TOP / "images").glob("*.jpg"))
    pixels = 0
    for image in images:
        pixels += cv2.imread(str(image), cv2.IMREAD_COLOR).size
        for matte in sorted((out / "x" / TOP / "alphas" / image.stem).glob("*.png")):
            pixels += cv2.imread(str(matte), cv2.IMREAD_UNCHANGED).size
    extra = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    shutil.rmtree(out)
    return {"samples": len(images), "decoded_values": pixels, "extra_bytes": extra,
            "children_cpu_seconds": children_cpu_seconds()}


def _recipe(zips: str):
    import mattehub  # noqa: F401
    from mattehub.families.registry import recipe_class
    from mattehub.families.releases.options import ReleaseOptions

    recipe = recipe_class("i-him50k")(ReleaseOptions(data_dir=zips, split="train"), seed=0)
    recipe.prepare()
    return recipe


def raw_members(spec: dict) -> dict:
    """(c): the member bytes of every sample as ``make`` reads them, nothing decoded; then
    the inflate + CRC-32 floor of the same members (compressed bytes already in memory)."""
    import zlib

    from mattehub.inputs.archives import records
    from mattehub.families.releases import samples

    start = time.perf_counter()
    recipe = _recipe(spec["zips"])
    opened = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    total = 0
    for _, entry in recipe.sources.entries:
        total += sum(map(len, recipe.sources.tree.read_many(samples.image_plan(entry, False))))
    read, read_cpu = time.perf_counter() - start, time.process_time() - cpu
    archive = recipe.sources.tree.zip
    deflated = []
    for _, entry in recipe.sources.entries:
        for name in samples.image_plan(entry, False):
            member = archive.member(name)
            blob = archive.parts.read(member.offset, records.LOCAL_SIZE + 1024 + member.compressed_size)
            at = records.local_data_start(blob)
            deflated.append((member, blob[at:at + member.compressed_size]))
    floors = {}
    inflaters = {"zlib": zlib}
    try:
        from isal import isal_zlib

        inflaters["isal"] = isal_zlib
    except ImportError:
        pass
    for label, module in inflaters.items():
        cpu = time.process_time()
        for member, data in deflated:
            zlib.crc32(module.decompress(data, -15, member.size) if member.method == 8 else data)
        floors[label] = time.process_time() - cpu
    from mattehub.inputs.archives import splitzip

    return {"samples": len(recipe.sources.entries), "member_bytes": total, "open_seconds": opened,
            "read_seconds": read, "read_cpu_seconds": read_cpu, "floor_cpu_seconds": floors,
            "inflater": "isal" if getattr(splitzip, "_isal", None) else "zlib",
            "deflated_share": sum(m.size for m, _ in deflated if m.method == 8) / max(1, total)}


def make_all(spec: dict) -> dict:
    """(m): ``recipe.make`` of every sample (reads, gate, union alpha)."""
    recipe = _recipe(spec["zips"])
    made = [recipe.make(index) for index in range(recipe.available())]
    assert all(outcome.sample is not None for outcome in made)
    return {"samples": len(made)}


def first_sample(spec: dict) -> dict:
    """(d): seconds from ``load_dataset`` (imports done) to the first decoded row; then, on
    their own, opening the archive and grouping its listing into samples."""
    import datasets  # noqa: F401
    import numpy as np

    import mattehub  # noqa: F401
    from mattehub.inputs.archives import SplitZip

    start = time.perf_counter()
    row = next(iter(_stream(spec["zips"])))
    np.asarray(row["image"])
    first = time.perf_counter() - start
    start = time.perf_counter()
    SplitZip(str(Path(spec["zips"]) / f"{TOP}.zip"))
    opened = time.perf_counter() - start
    start = time.perf_counter()
    recipe = _recipe(spec["zips"])
    return {"first_seconds": first, "open_seconds": opened,
            "prepare_seconds": time.perf_counter() - start, "samples": recipe.available(),
            "torch_import_seconds": spec.get("torch_import_seconds")}
