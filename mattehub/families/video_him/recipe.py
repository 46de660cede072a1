"""``v-him``: multi-instance video matting clips, the way V-HIM2K5 / V-HIM60 were made.

Per clip id (docs/sources.md, 'V-HIM synthesis'): a level (easy / medium / hard, or the ``mix`` schedule),
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
schedule by id keeps the level a pure function of the id. The ``release`` schedule is that
of the released script (``schedule.py``): it covers a fixed range of ids (the default count)
and makes one attempt per id, so a rejected id is a counted skip, missing as in the release.
``meta.level_schedule`` records which schedule made a clip.
"""
from __future__ import annotations

from pathlib import Path

from mattehub.contract import codecs
from mattehub.contract.schema import CLIP, IMAGE_LIST, META, FieldSpec, Schema
from mattehub.core.rng import sample_rng
from mattehub.contract.sample import EncodedSample, Outcome, sample_key
from mattehub.contract.licence import LicenceTerms, Redistribution
from mattehub.families.video_him.sources import VideoHimSources, scan_lists
from mattehub.options.declare import OptionError
from mattehub.recipes.base import Recipe
from mattehub.recipes.outcomes import attempts
from mattehub.families.him_meta import VIDEO_HIM_META as META_FEATURES
from mattehub.families.video_him.meta import FIELDS
from mattehub.families.video_him.synth import synthesise_clip
from mattehub.families.video_him import schedule


V_HIM_TERMS = LicenceTerms(
    "v-him-sources", "the licences of the foreground and background videos supplied",
    Redistribution.UNKNOWN, None, "Chuong Huynh, Seoung Wug Oh, Abhinav Shrivastava, "
    "Joon-Young Lee. MaGGIe: Masked Guided Gradual Human Instance Matting. CVPR 2024; and the "
    "video sets built from.", "https://github.com/hmchuong/MaGGIe",
    ("foreground videos supplied (e.g. VideoMatte240K)", "background images and videos supplied"))
"""Clips inherit the terms of the videos they are made from: no one licence (docs/licences.md)."""


class VideoHimRecipe(Recipe):
    """Synthesised video HIM clips written straight to shards."""

    name = "v-him"
    family = "video-him"
    family_fields = FIELDS
    summary = "Video human-instance-matting clips (V-HIM2K5 / V-HIM60 algorithm)"
    licence = "other"
    terms = V_HIM_TERMS

    @classmethod
    def source_splits(cls, data_dir: str | None) -> list[str]:
        """Every split ``S`` with both ``fg_S.txt`` and ``bg_S.txt`` in ``data_dir``
        (``train`` when there is none: preparing it then says which list is missing)."""
        root = Path(data_dir or ".")
        found = sorted(path.name[3:-4] for path in root.glob("fg_*.txt")
                       if (root / f"bg_{path.name[3:]}").is_file())
        return found or ["train"]

    def scan_sources(self) -> tuple[VideoHimSources, dict]:
        sources = scan_lists(Path(self.options.data_dir), self.options.list_split)
        return sources, {"foregrounds": len(sources.foregrounds),
                         "backgrounds": len(sources.backgrounds), "skipped_inputs": []}

    def schema(self) -> Schema:
        fields = (FieldSpec("frames", IMAGE_LIST, "jpg"), FieldSpec("instance_alphas", CLIP),
                  FieldSpec("meta", META))
        return Schema(self.name, self.family, fields, META_FEATURES, self.family_fields)

    def level_of(self, index: int) -> str:
        """The level of clip ``index`` under the ``level`` option (``schedule.clip_level``)."""
        return schedule.clip_level(self.options.level, self.options.list_split, index)

    def default_num_samples(self) -> int:
        """1000, or under ``release`` every id of the schedule (9500 train, 222 test)."""
        if self.options.level == "release":
            return schedule.release_size(self.options.list_split)
        return super().default_num_samples()

    def sample_count(self, requested: int | None) -> int:
        """As the base; under ``release``, more ids than the schedule covers are refused
        (the release has no such clips) rather than cut silently."""
        count = super().sample_count(requested)
        if self.options.level == "release" and count > schedule.release_size(self.options.list_split):
            raise OptionError(schedule.out_of_schedule(self.options.list_split, count))
        return count

    def make(self, index: int) -> Outcome:
        """Up to ``max_attempts`` clips of the id's level, each from its own attempt seed; a
        clip whose occlusion breaks the level's rule is rejected and the next one drawn
        (under ``release``: not redrawn, the id is a counted skip, as in the release)."""
        level = self.level_of(index)

        def attempt(number: int, events: list[dict]) -> EncodedSample | str:
            rng = sample_rng(self.name, self.seed, index, number)
            result = synthesise_clip(self.options, self.sources, rng, level, events)
            return self._encode(index, number, result) if result.ok else result.reason

        tries = self.options.max_attempts
        once = schedule.not_retried(level) if self.options.level == "release" else ""
        return attempts(index, tries, attempt, f"no valid {level} clip in {tries} attempts",
                        final_reject=once)

    def _encode(self, index: int, attempt: int, result) -> EncodedSample:
        quality = self.options.jpeg_quality
        fields = {"frames": [codecs.encode_jpeg(f, quality) for f in result.frames],
                  "instance_alphas": [[codecs.encode_png(m) for m in frame] for frame in result.mattes],
                  "meta": dict(result.meta, recipe=self.name, seed=self.seed, index=index,
                               attempt=attempt, jpeg_quality=quality,
                               level_schedule=schedule.schedule_name(self.options.level))}
        return EncodedSample(index, sample_key(index), fields)
