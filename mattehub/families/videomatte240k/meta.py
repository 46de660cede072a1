"""The ``videomatte240k`` family's field set, and the feature types of the ``meta`` field of
its configs (declared, never inferred)."""
from __future__ import annotations

from mattehub.contract.features import List, Value

FIELDS = ("frames", "instance_alphas", "meta")
"""Every field a ``videomatte240k`` config writes: the clip's frames (the published ``fgr``
frames, or their composites) and, per frame, its one alpha (a list of one: the clip layout
``mattehub evaluate`` and the training readers know)."""

META_FEATURES = {
    "recipe": Value("string"),
    "index": Value("int64"),
    "split": Value("string"),                  # train | test (the release's folder)
    "video": Value("string"),                  # the video's name in fgr/ and pha/ (e.g. 0000)
    "kind": Value("string"),                   # frames (JPEG release) | video (mp4 release)
    "frame_names": List(Value("string")),      # file stems (mp4: 00000, 00001... by position)
    "start": Value("int32"),                   # position of the clip's first frame in its video
    "num_frames": Value("int32"),
    "width": Value("int32"),
    "height": Value("int32"),
    "alpha_format": Value("string"),           # jpg | png | mp4: what the alphas were decoded from
    "jpeg_quality": Value("int32"),            # frames encoded by mattehub (null: passed through)
}

COMP_META_FEATURES = {
    **META_FEATURES,
    "seed": Value("int64"),
    "background": Value("string"),             # relative to --bg-root or --bg-video-root
    "background_kind": Value("string"),        # image | frames | video
    "background_start": Value("int32"),        # first background frame (0 for a still)
    "background_frames": Value("int32"),       # frames the background video has (1: a still)
}
"""``videomatte240k-comp``: the clip's keys, and where its background came from (frame ``t``
of a video background is ``(background_start + t) % background_frames``)."""

RVM_EVAL_META_FEATURES = {
    "recipe": Value("string"),
    "index": Value("int64"),
    "split": Value("string"),                  # combined | the dataset folder's name
    "dataset": Value("string"),                # the dataset folder (e.g. videomatte_motion)
    "clip": Value("string"),                   # the clip folder (e.g. 0003)
    "frame_names": List(Value("string")),      # file stems of com/ and pha/, sorted
    "num_frames": Value("int32"),
    "width": Value("int32"),
    "height": Value("int32"),
    "alpha_format": Value("string"),           # png | jpg: what the pha frames were
}
"""``videomatte240k-rvm-eval``: one generated clip of Robust Video Matting's evaluation sets."""
