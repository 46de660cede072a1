"""Recognising a release layout in a list of file names and grouping files into samples.

A layout is a few path templates (``images/{split}/{name}.{img}``, ``alphas/{split}/{name}/{k}.png``
...). The top-level folder inside an archive is not known in advance, so every template may
sit under any prefix; the prefix that matches the most images wins. Files are grouped into
image samples (one image, its instance mattes and masks) or clips (frames, and per frame
the instance mattes), sorted so the sample order never depends on archive order.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter

from mattehub.inputs.listing import Skip

IMG = r"(?:jpg|jpeg|png)"


@dataclass(frozen=True)
class Layout:
    """Path templates of one layout; ``mask`` may be None, ``splits`` fixes split names."""

    name: str
    image: str
    alpha: str
    mask: str | None = None
    fixed_split: str | None = None


def _regex(template: str, **values: str) -> re.Pattern:
    pattern = re.escape(template)
    for key, value in values.items():
        pattern = pattern.replace(re.escape("{" + key + "}"), re.escape(value))
    groups = {"split": r"(?P<split>[^/]+)", "name": r"(?P<name>[^/]+?)", "k": r"(?P<k>\d+)",
              "frame": r"(?P<frame>[^/]+?)", "img": IMG}
    for key, group in groups.items():
        pattern = pattern.replace(re.escape("{" + key + "}"), group, 1)
        pattern = pattern.replace(re.escape("{" + key + "}"), f"(?P={key})" if key != "img" else IMG)
    return re.compile(r"^(?P<path>(?P<prefix>(?:[^/]+/)*?)" + pattern + ")$")


def _literal(template: str, **values: str) -> str:
    """The longest fixed piece of ``template`` (values filled in): every name its regex
    matches holds it, so a substring test, far cheaper than a match, rules out the rest."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return max(re.split(r"\{[a-z_]+\}", template), key=len)


Match = dict[str, str]
"""The groups of a name a template matched: ``path`` (the name), ``prefix``, ``split``, ..."""


class Names(list):
    """An archive listing that remembers which names each template matched: trying several
    layouts on 150k names runs each regex once, and only over the names holding the
    template's longest fixed piece (``_literal``). The matches are kept as their groups'
    dicts, which the garbage collector does not track (strings only): ``re.Match`` objects
    are tracked, and 200k of them kept alive made the collector walk the whole process
    several times while a large release was listed."""

    def candidates(self, template: str, **values: str) -> list[str]:
        """The names holding ``template``'s longest fixed piece: all it can match."""
        literal = _literal(template, **values)
        return self._cached(("candidates", literal), lambda: [n for n in self if literal in n])

    def matching(self, template: str, **values: str) -> list[Match]:
        """The groups of each name ``template`` matches, in listing order."""
        match = _regex(template, **values).match
        return self._cached((template, tuple(sorted(values.items()))), lambda: [
            m.groupdict() for m in map(match, self.candidates(template, **values)) if m])

    def _cached(self, key: tuple, make):
        cache = self.__dict__.setdefault("_cache", {})
        if key not in cache:
            cache[key] = make()
        return cache[key]


def _prefix(names: Names, template: str, **values: str) -> tuple[str | None, int]:
    """The prefix under which ``template`` matches most names, and how many it matches."""
    counts: dict[str, int] = defaultdict(int)
    for groups in names.matching(template, **values):
        counts[groups["prefix"]] += 1
    if not counts:
        return None, 0
    best = max(sorted(counts), key=counts.get)
    return best, counts[best]


@dataclass
class Grouped:
    """Files of one layout grouped per sample, plus the files that fit no sample."""

    layout: Layout
    prefix: str
    samples: dict[tuple[str, str], dict] = field(default_factory=dict)
    """(split, name) -> the sample's files, in key order (``group_*`` insert them sorted, so
    a split's samples are taken in order without sorting 50k keys again)."""
    skipped: list[Skip] = field(default_factory=list)

    @cached_property
    def splits(self) -> list[str]:
        """The split names of the samples, sorted (read once the grouping is done)."""
        return sorted({split for split, _ in self.samples})


def match_layout(names: list[str], layouts: list[Layout], group, **values: str) -> Grouped | None:
    """The layout that yields the most complete samples with ``group`` (the earlier on a tie),
    each under the prefix where its image template matches most names."""
    best, names = None, Names(names)
    for layout in layouts:
        # a layout gives at most one sample per image name: one matching no more images
        # than the best has samples cannot win, so it is not grouped (2 s on I-HIM50K),
        # nor matched when even its candidate names are too few
        if best is not None and len(names.candidates(layout.image, **values)) <= len(best.samples):
            continue
        prefix, count = _prefix(names, layout.image, **values)
        if count and (best is None or count > len(best.samples)):
            grouped = group(names, Grouped(layout, prefix), **values)
            if best is None or len(grouped.samples) > len(best.samples):
                best = grouped
    return best


def _matches(names: list[str], template: str | None, prefix: str, **values: str
             ) -> Iterator[tuple[str, Match]]:
    """The names ``template`` matches under ``prefix``, each with the match's groups."""
    if template is None:
        return
    names = names if isinstance(names, Names) else Names(names)
    for groups in names.matching(template, **values):
        if groups["prefix"] == prefix:
            yield groups["path"], groups


def group_images(names: list[str], grouped: Grouped, **values: str) -> Grouped:
    """Image samples: image + instance mattes (by k) + masks matched to mattes by file name."""
    layout, prefix, fixed = grouped.layout, grouped.prefix, grouped.layout.fixed_split
    samples: dict[tuple[str, str], dict] = {}
    for name, g in _matches(names, layout.image, prefix, **values):
        samples[(fixed or g["split"], g["name"])] = {"image": name, "alphas": {}, "masks": {}}
    for kind, template in (("alphas", layout.alpha), ("masks", layout.mask)):
        files = {key: sample[kind] for key, sample in samples.items()} if template else {}
        for name, g in _matches(names, template, prefix, **values):
            found = files.get((fixed or g["split"], g["name"]))
            if found is not None:
                found[int(g["k"])] = name
            elif kind == "alphas":
                grouped.skipped.append(Skip(name, "matte without an image"))
    for key in _sorted_keys(samples, fixed):
        sample = samples[key]
        if not sample["alphas"]:
            grouped.skipped.append(Skip(sample["image"], "image without instance mattes"))
        else:
            grouped.samples[key] = sample
    return grouped


def _sorted_keys(samples: dict[tuple[str, str], dict], fixed_split: str | None) -> list[tuple[str, str]]:
    """The (split, name) keys sorted; under a fixed split by name alone, the same order
    (every key has that split) at a third of the cost of comparing tuples."""
    return sorted(samples, key=itemgetter(1)) if fixed_split else sorted(samples)


def group_clips(names: list[str], grouped: Grouped, **values: str) -> Grouped:
    """Clips: frames (natural order) and, per frame, instance mattes and masks by k."""
    layout, prefix = grouped.layout, grouped.prefix
    clips: dict[tuple[str, str], dict] = defaultdict(lambda: {"frames": {}, "alphas": defaultdict(dict),
                                                              "masks": defaultdict(dict)})
    for name, g in _matches(names, layout.image, prefix, **values):
        clips[(layout.fixed_split or g["split"], g["name"])]["frames"][g["frame"]] = name
    for kind, template in (("alphas", layout.alpha), ("masks", layout.mask)):
        for name, g in _matches(names, template, prefix, **values):
            key = (layout.fixed_split or g["split"], g["name"])
            clips[key][kind][g["frame"]][int(g["k"])] = name
    for key in sorted(clips):
        problem = _clip_problem(clips[key])
        if problem:
            grouped.skipped.append(Skip(f"{key[0]}/{key[1]}", problem))
        else:
            grouped.samples[key] = clips[key]
    return grouped


def _clip_problem(clip: dict) -> str | None:
    frames = clip["frames"]
    if not frames:
        return "instance mattes without frames"
    counts = {stem: len(clip["alphas"].get(stem, {})) for stem in frames}
    if 0 in counts.values():
        missing = sorted(s for s, c in counts.items() if c == 0)
        return f"frames without instance mattes: {missing[:3]}"
    if len(set(counts.values())) > 1:
        return f"instance count differs between frames: {sorted(set(counts.values()))}"
    return None
