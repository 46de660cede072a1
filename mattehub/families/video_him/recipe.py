"""``v-him``: multi-instance video matting clips, the way V-HIM2K5 / V-HIM60 were made.

Per clip id (sources.md section 3): a level (easy / medium / hard, or the ``mix`` schedule),
2-4 distinct foreground clips (at most 3 for easy), a background (a landscape still image
half of the time, else a background clip from a random start, holding its last frame),
T = min(30, shortest clip) frames, one crop box per instance (the union of its matte boxes
over the clip), widths shared by aspect ratio (x U(1, 1.5) medium, x U(1, 2) hard), capped to
fit, placed left to right and bottom-aligned with horizontal jitter up to W/2 (medium, hard),
fixed for the clip. Frames are composited in order with the occlusion rule of the image
recipe; medium and hard clips whose occlusion is out of range are redrawn, and every
rejected attempt is counted in the shard stats.

The ``mix`` schedule cycles easy, medium, hard by clip id (id % 3): V-HIM60, the one release
split whose levels are published, has the three levels in equal numbers (20 each), and a
schedule by id keeps the level a pure function of the id.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from mattehub.contract import codecs
from mattehub.contract.schema import CLIP, IMAGE_LIST, META, FieldSpec, Schema
from mattehub.core.errors import SourceError
from mattehub.core.rng import sample_rng
from mattehub.contract.sample import EncodedSample, Outcome, sample_key
from mattehub.inputs import gate
from mattehub.families.video_him.sources import scan_background, scan_foreground
from mattehub.recipes.base import Recipe
from mattehub.contract.him_meta import VIDEO_HIM_META as META_FEATURES
from mattehub.families.video_him.synth import synthesise_clip
from mattehub.families.video_him.options import LEVELS

def _read_list(path: Path) -> list[str]:
    if not path.is_file():
        raise SourceError(path, "not found", "--data-dir must hold fg_<split>.txt and bg_<split>.txt")
    lines = path.read_bytes().decode("utf-8-sig").splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip()]


class VideoHimRecipe(Recipe):
    """Synthesised video HIM clips written straight to shards."""

    name = "v-him"
    family = "video-him"
    summary = "Video human-instance-matting clips (V-HIM2K5 / V-HIM60 algorithm)"
    licence = "other"
    path_options = ("data_dir",)
    streams_from_sources = True

    @classmethod
    def source_splits(cls, data_dir: str | None) -> list[str]:
        """Every split ``S`` with both ``fg_S.txt`` and ``bg_S.txt`` in ``data_dir``
        (``train`` when there is none: preparing it then says which list is missing)."""
        root = Path(data_dir or ".")
        found = sorted(path.name[3:-4] for path in root.glob("fg_*.txt")
                       if (root / f"bg_{path.name[3:]}").is_file())
        return found or ["train"]

    def prepare(self) -> dict:
        root = Path(self.options.data_dir)
        split = self.options.list_split
        self.foregrounds, fg_errors = self._scan(root, f"fg_{split}.txt", scan_foreground)
        self.backgrounds, bg_errors = self._scan(root, f"bg_{split}.txt", scan_background)
        errors = fg_errors + bg_errors
        if errors:
            listing = "\n".join(f"  - {e}" for e in errors)
            raise SourceError(root, f"{len(errors)} list line(s) point at unusable paths:\n{listing}")
        if len(self.foregrounds) < 2 or not self.backgrounds:
            raise SourceError(root, "v-him needs at least 2 foreground clips and 1 background")
        return {"foregrounds": len(self.foregrounds), "backgrounds": len(self.backgrounds),
                "skipped_inputs": []}

    @staticmethod
    def _scan(root: Path, list_name: str, scan):
        found, errors = [], []
        for line in _read_list(root / list_name):
            try:
                found.append(scan(root, line))
            except SourceError as exc:
                errors.append(f"{list_name}: {exc}")
        return found, errors

    def pick_background(self, rng: np.random.Generator):
        """A landscape still with probability ``still_background``, else a clip (with fallback)."""
        stills = [b for b in self.backgrounds if b.kind == "image" and b.size[0] > b.size[1]]
        clips = [b for b in self.backgrounds if b.kind != "image"]
        pool = stills if (rng.random() < self.options.still_background and stills) or not clips else clips
        return pool[int(rng.integers(len(pool)))]

    def source_fingerprint(self) -> str:
        listing = [asdict(s) for s in self.foregrounds + self.backgrounds]
        options = {k: v for k, v in asdict(self.options).items() if k not in self.path_options}
        return hashlib.sha256(json.dumps([options, listing], sort_keys=True).encode()).hexdigest()

    def schema(self) -> Schema:
        fields = (FieldSpec("frames", IMAGE_LIST, "jpg"), FieldSpec("instance_alphas", CLIP),
                  FieldSpec("meta", META))
        return Schema(self.name, self.family, fields, META_FEATURES)

    def level_of(self, index: int) -> str:
        return LEVELS[index % 3] if self.options.level == "mix" else self.options.level

    def make(self, index: int) -> Outcome:
        level, events = self.level_of(index), []
        for attempt in range(self.options.max_attempts):
            rng = sample_rng(self.name, self.seed, index, attempt)
            try:
                result = synthesise_clip(self, rng, level, events)
            except SourceError as exc:
                events.append(gate.bad_input_event(exc))
                continue
            if result.ok:
                return Outcome(index, self._encode(index, attempt, result), events)
            events.append({"kind": "rejected_attempt", "reason": result.reason})
        events.append({"kind": "skipped_sample",
                       "reason": f"no valid {level} clip in {self.options.max_attempts} attempts"})
        return Outcome(index, None, events)

    def _encode(self, index: int, attempt: int, result) -> EncodedSample:
        quality = self.options.jpeg_quality
        fields = {"frames": [codecs.encode_jpeg(f, quality) for f in result.frames],
                  "instance_alphas": [[codecs.encode_png(m) for m in frame] for frame in result.mattes],
                  "meta": dict(result.meta, recipe=self.name, seed=self.seed, index=index,
                               attempt=attempt, jpeg_quality=quality)}
        return EncodedSample(index, sample_key(index), fields)
