"""The release configs: which archive, which layouts, which splits, which masks.

Own-dataset layouts (documented upstream) are accepted by every config of the same kind:
image train ``<root>/<split>/{images,<alpha_dir>,<mask_dir>}``, image val
``<root>/{images,<alpha_dir>,<mask_dir>}/<split>``, video ``<root>/<split>/{fgr,<alpha_dir>,<mask_dir>}``.
"""
from __future__ import annotations

from dataclasses import dataclass

from mattehub.families.releases.layouts import Layout


OWN_IMAGE = [Layout("own-train", "{split}/images/{name}.{img}", "{split}/{alpha_dir}/{name}/{k}.png",
                    "{split}/{mask_dir}/{name}/{k}.png"),
             Layout("own-val", "images/{split}/{name}.{img}", "{alpha_dir}/{split}/{name}/{k}.png",
                    "{mask_dir}/{split}/{name}/{k}.png")]
OWN_VIDEO = [Layout("own-video", "{split}/fgr/{name}/{frame}.{img}",
                    "{split}/{alpha_dir}/{name}/{frame}/{k}.png",
                    "{split}/{mask_dir}/{name}/{frame}/{k}.png")]


@dataclass(frozen=True)
class ReleaseSpec:
    """One config over the published release."""

    name: str
    family: str
    archive: str
    layouts: tuple[Layout, ...]
    masks: str  # "none", "model" (masks_matched_<model>) or "xmem"
    summary: str


RELEASES = {spec.name: spec for spec in (
    ReleaseSpec("i-him50k", "image-him", "I-HIM50K.zip",
                (Layout("I-HIM50K", "images/{name}.{img}", "alphas/{name}/{k}.png",
                        fixed_split="train"), *OWN_IMAGE), "none",
                "I-HIM50K: synthesised image HIM training set (MaGGIe release)"),
    ReleaseSpec("him2k", "image-him", "HIM2K_M-HIM2K.zip",
                (Layout("HIM2K", "images/{split}/{name}.{img}", "alphas/{split}/{name}/{k}.png"),
                 *OWN_IMAGE), "none", "HIM2K: image HIM benchmark, comp and natural subsets"),
    ReleaseSpec("m-him2k", "image-him", "HIM2K_M-HIM2K.zip",
                (Layout("M-HIM2K", "images/{split}/{name}.{img}", "alphas/{split}/{name}/{k}.png",
                        "masks_matched_{model}/{split}/{name}/{k}.png"), *OWN_IMAGE), "model",
                "M-HIM2K: HIM2K with instance guidance masks from 10 detectors"),
    ReleaseSpec("v-him2k5", "video-him", "V-HIM2K5.zip",
                (Layout("V-HIM2K5", "fgr/{name}/{frame}.{img}", "pha/{name}/{frame}/{k}.png",
                        fixed_split="train"), *OWN_VIDEO), "none",
                "V-HIM2K5: synthesised video HIM training clips"),
    ReleaseSpec("v-him60", "video-him", "V-HIM60.zip",
                (Layout("V-HIM60", "comp_{split}/fgr/{name}/{frame}.{img}",
                        "comp_{split}/pha/{name}/{frame}/{k}.png",
                        "comp_{split}/xmem/{name}/{frame}/{k}.png"), *OWN_VIDEO), "xmem",
                "V-HIM60: video HIM benchmark, easy/medium/hard, XMem guidance masks"),
)}
