"""One ``meta`` struct per HIM family, shared by its synthesised and release configs.

``interleave_datasets`` and ``concatenate_datasets`` need identical feature types, so
``i-him`` and the image releases (``i-him50k``, ``him2k``, ``m-him2k``) declare the same
struct: the union of their keys, each sample filling the keys its config has and leaving the
rest null (likewise ``v-him`` and ``v-him2k5``/``v-him60``). Keys carried by both sides must
mean the same thing with the same type; ``merged_meta`` refuses a clash. The release configs
also write their HIM family's field set (``IMAGE_HIM_FIELDS``, ``VIDEO_HIM_FIELDS``, re-exported
here so the ``releases`` folder imports no other family's folder).
"""
from __future__ import annotations

from mattehub.contract.features import List, Value

from mattehub.families.image_him.meta import FIELDS as IMAGE_HIM_FIELDS
from mattehub.families.image_him.meta import META_FEATURES as I_HIM_META
from mattehub.families.video_him.meta import FIELDS as VIDEO_HIM_FIELDS
from mattehub.families.video_him.meta import META_FEATURES as V_HIM_META

IMAGE_RELEASE_META = {
    "config": Value("string"),                   # release config: i-him50k | him2k | m-him2k
    "split": Value("string"),                    # the release's split (train, comp, natural...)
    "name": Value("string"),                     # image name in the release
    "image_source": Value("string"),             # member path of the image
    "alpha_sources": List(Value("string")),      # member paths of the instance mattes
    "width": Value("int32"),
    "height": Value("int32"),
    "num_instances": Value("int32"),
    "mask_set": Value("string"),                 # m-him2k: the masks_matched_<model> set read
    "mask_present": List(Value("bool")),         # per instance: a guidance mask was published
}
CLIP_RELEASE_META = {
    "config": Value("string"),
    "split": Value("string"),
    "video": Value("string"),
    "start_frame": Value("int32"),
    "frame_names": List(Value("string")),
    "num_frames": Value("int32"),
    "num_instances": Value("int32"),
    "width": Value("int32"),
    "height": Value("int32"),
}


def merged_meta(*structs: dict) -> dict:
    """The union of ``structs`` (keys in first-seen order); a key typed differently in two
    of them is an error, not a silent pick."""
    merged: dict = {}
    for struct in structs:
        for key, feature in struct.items():
            if key in merged and merged[key] != feature:
                raise TypeError(f"meta key {key!r} is {merged[key]} in one config and {feature} in another")
            merged.setdefault(key, feature)
    return merged


IMAGE_HIM_META = merged_meta(I_HIM_META, IMAGE_RELEASE_META)
VIDEO_HIM_META = merged_meta(V_HIM_META, CLIP_RELEASE_META)

__all__ = ["IMAGE_HIM_FIELDS", "IMAGE_HIM_META", "VIDEO_HIM_FIELDS", "VIDEO_HIM_META", "merged_meta"]
