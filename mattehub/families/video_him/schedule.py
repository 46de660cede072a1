"""Which level each ``v-him`` clip id gets: the ``mix`` schedule, one fixed level, or the
``release`` schedule of MaGGIe's ``tools/synthesize_video_him.py``.

The released script chooses its schedule by split: with ``--split train`` it runs four passes
over consecutive clip ids (easy 0-499, medium 500-1499, hard 1500-3499, medium 3500-9499);
with any other split, three passes over overlapping ids (easy 0-50, medium 29-221, hard
2-80), each writing into the clip folder of the same name and deleting it when its clip is
rejected. The clip an id ends with is therefore the one of the last pass covering it (test
ids 0-1 easy, 2-80 hard, 81-221 medium), and missing when that pass rejects it; here the
earlier passes' clips, which the release overwrites, are not made at all. mattehub applies
the schedule to ``list_split`` (the lists read, ``fg_<S>.txt`` / ``bg_<S>.txt``): ``train``
gets the train schedule, anything else the test one, as the script does with its split.

Tables here, not code: a pass is (level, ids), read in the script's order.
"""
from __future__ import annotations

from mattehub.options.declare import OptionError
from mattehub.families.video_him.options import LEVELS

TRAIN_PASSES = (("easy", range(0, 500)), ("medium", range(500, 1500)),
                ("hard", range(1500, 3500)), ("medium", range(3500, 9500)))
TEST_PASSES = (("easy", range(0, 51)), ("medium", range(29, 222)), ("hard", range(2, 81)))
SCRIPT = "tools/synthesize_video_him.py"


def release_passes(list_split: str) -> tuple[tuple[str, range], ...]:
    """The released script's passes for lists of split ``list_split`` (train, else test)."""
    return TRAIN_PASSES if list_split == "train" else TEST_PASSES


def release_size(list_split: str) -> int:
    """How many clip ids (0..N-1) the release schedule of ``list_split`` covers."""
    return max(ids.stop for _, ids in release_passes(list_split))


def release_level(list_split: str, index: int) -> str:
    """The level of clip ``index`` in the release: that of the last pass covering it.
    An id no pass covers is refused (the release has no such clip)."""
    covering = [level for level, ids in release_passes(list_split) if index in ids]
    if not covering:
        raise OptionError(out_of_schedule(list_split, index + 1))
    return covering[-1]


def out_of_schedule(list_split: str, count: int) -> str:
    """The refusal of ``count`` ids beyond the release schedule of ``list_split``."""
    which = "train" if list_split == "train" else "test"
    return (f"level='release': the {which} schedule of {SCRIPT} (list split {list_split!r}) "
            f"makes clip ids 0-{release_size(list_split) - 1}, and ids 0-{count - 1} were asked "
            f"for; ask for at most {release_size(list_split)} samples [--num-samples]")


def not_retried(level: str) -> str:
    """Why an id of the release schedule is missing: its one ``level`` attempt was rejected."""
    return (f"release schedule: the {level} clip's one attempt was rejected and is not retried, "
            "so the id is missing as in the release")


def schedule_name(level: str) -> str:
    """What ``meta.level_schedule`` records for the ``level`` option: ``mix``, ``release``
    or ``fixed`` (one level for every id)."""
    return level if level in ("mix", "release") else "fixed"


def clip_level(level: str, list_split: str, index: int) -> str:
    """The level of clip ``index`` under the ``level`` option: ``mix`` cycles easy, medium,
    hard by id (id % 3), ``release`` follows the released script, else the fixed level."""
    if level == "mix":
        return LEVELS[index % 3]
    if level == "release":
        return release_level(list_split, index)
    return level
