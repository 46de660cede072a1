"""``with_format("numpy" / "torch")`` on a mattehub dataset: the first message names the route.

The common route of a ``datasets`` user, ``ds.with_format("torch")`` and a DataLoader with
torch's default collate, fails on 11 of the 12 configs (datasets 5.2, torch 2.x), deep in
``datasets`` or torch, and no feature declaration can fix it without changing the stored
bytes (docs/training.md, "The common route"):

- clip columns (``List(List(Image()))``: ``frames`` and the instance mattes of ``v-him``,
  ``v-him2k5``, ``v-him60``) fail to decode in both formats (``operands could not be
  broadcast`` / ``truth value of an array ... is ambiguous``, in ``decode_nested_example``);
- the default collate cannot stack what the torch format gives: samples differ in instance
  count K and canvas size (``stack expects each tensor to be equal size``), and meta keys a
  sample does not have are ``None`` (``found <class 'NoneType'>``).

So ``install()`` (run by ``mattehub.streaming.registration.register``, i.e. on ``import
mattehub`` once ``datasets`` is imported) puts a subclass of ``datasets``' own numpy and
torch formatters in its format table. For features that are not a mattehub sample's it does
nothing more than the class it replaces. For a mattehub sample's features (``is_mattehub``):

- a decode error on a clip column is re-raised as ``MattehubFormatError`` (a ValueError)
  naming ``mattehub.training.as_arrays``, the original error kept as its cause and quoted;
- the torch format warns once (``MattehubFormatWarning``) that torch's default collate
  cannot batch the rows, naming ``as_arrays`` and ``pad_collate``: a warning and not an
  error, because a row-by-row use (or a config whose samples all match, as surreal-alpha's
  demo) works. The numpy format does not warn: it is the format for looking at one row.

Why the format table and not ``with_format`` itself: ``IterableDataset.with_format`` builds
a new plain ``IterableDataset``, so a subclass returned by the builder would be lost; the
formatter is the one place both ``Dataset`` and ``IterableDataset`` (and every route: a
shard folder's card, the Hub, ``load_dataset("mattehub", ...)``) pass the features through.
The table (``datasets.formatting._FORMAT_TYPES``) is private: ``tests/test_format_guard.py``
fails loudly if an upgrade moves it.
"""
from __future__ import annotations

import warnings
from typing import Any

ROUTE = ("mattehub.training.as_arrays(ds, 'numpy' | 'torch') decodes every config, clips "
         "included, to uint8 arrays (frames (T, H, W, 3), mattes (T, K, H, W)), and "
         "DataLoader(ds, collate_fn=mattehub.training.pad_collate) pads K, H, W and T and adds "
         "masks (see mattehub's docs/training.md)")
"""The fix both messages name."""


class MattehubFormatError(ValueError):
    """``with_format("numpy" / "torch")`` cannot decode a mattehub clip column."""


class MattehubFormatWarning(UserWarning):
    """Rows of a mattehub dataset formatted as torch: the default collate cannot batch them."""


def is_mattehub(features: Any) -> bool:
    """True for the features of a mattehub sample: a ``__key__`` column and a ``meta`` struct
    whose first key is ``recipe`` (every config's, ``mattehub.contract``), as a shard
    folder, the Hub, or the ``mattehub`` builder declare them. False for None (after ``.map``)."""
    if not isinstance(features, dict) or "__key__" not in features:
        return False
    meta = features.get("meta")
    return isinstance(meta, dict) and next(iter(meta), None) == "recipe"


def _image_depth(feature: Any) -> int:
    """How many list levels hold images: 0 for ``Image()`` or no image, 2 for a clip column."""
    from datasets import Image

    depth = 0
    while getattr(feature, "feature", None) is not None:
        depth, feature = depth + 1, feature.feature
    return depth if isinstance(feature, Image) else 0


def clip_columns(features: Any) -> list[str]:
    """The columns of ``features`` that ``with_format("numpy"/"torch")`` cannot decode: images
    nested two lists deep (``List(List(Image()))``)."""
    return [name for name, feature in features.items() if _image_depth(feature) >= 2]


def _config(features: Any) -> str:
    """Words for the dataset in messages (the columns, as the formatter knows no config name)."""
    return "a mattehub dataset (columns " + ", ".join(features) + ")"


class _Guard:
    """Mixin over a ``datasets`` formatter class; see the module docstring."""

    format_name = ""
    warns = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._mattehub = is_mattehub(self.features)
        if self._mattehub and self.warns:
            warnings.warn(f"{_config(self.features)} formatted as torch: samples differ in "
                          "size, instance count and clip length, and absent meta keys are None, "
                          "so torch's default collate cannot batch the rows. Instead: "
                          f"{ROUTE}.", MattehubFormatWarning, stacklevel=2)

    def format_row(self, pa_table):
        return self._guarded(super().format_row, pa_table)

    def format_column(self, pa_table):
        return self._guarded(super().format_column, pa_table)

    def format_batch(self, pa_table):
        return self._guarded(super().format_batch, pa_table)

    def _guarded(self, method, pa_table):
        """``method(pa_table)``; on a mattehub clip column, its error re-raised naming the route."""
        if not self._mattehub:
            return method(pa_table)
        try:
            return method(pa_table)
        except (ValueError, TypeError) as exc:
            clips = [name for name in clip_columns(self.features) if name in pa_table.column_names]
            if not clips:
                raise
            raise MattehubFormatError(
                f"with_format({self.format_name!r}) cannot decode the clip columns {', '.join(clips)} "
                f"(lists of lists of images) of {_config(self.features)}: datasets raised "
                f"{type(exc).__name__}: {exc}. Instead: {ROUTE}.") from exc


GUARDED: dict[str, tuple[str, bool]] = {"numpy": ("NumpyFormatter", False), "torch": ("TorchFormatter", True)}
"""Format name -> (``datasets``' formatter class in ``datasets.formatting``, whether it warns)."""


def _guarded_class(base: type, format_name: str, warns: bool) -> type:
    """``base`` (``datasets``' formatter) with the guard. Made when ``install`` runs, not at
    import: this module is imported by ``register``, which runs at the end of ``import
    datasets`` (a top-level ``import datasets`` here would be circular when this module is
    imported first). Published as a module attribute, so pickle finds the class by name."""
    name = f"Mattehub{base.__name__}"
    guarded = type(name, (_Guard, base), {"format_name": format_name, "warns": warns,
                                          "__module__": __name__, "__qualname__": name,
                                          "__doc__": f"datasets' {base.__name__}, guarded for mattehub rows."})
    globals()[name] = guarded
    return guarded


def install() -> None:
    """Put the guarded formatters in ``datasets``' format table (idempotent). Only ``datasets``'
    own classes are replaced (a format without torch installed, or another library's
    formatter, is left alone), and a ``datasets`` without that private table is left as it is
    (tests/test_format_guard.py fails in our CI if an upgrade moves it). The aliases (``np``, ``pt``...) map to these names, unchanged."""
    from datasets import formatting

    _FORMAT_TYPES = getattr(formatting, "_FORMAT_TYPES", None)
    if not isinstance(_FORMAT_TYPES, dict):  # a datasets release that moved its private table:
        return  # the guard is a courtesy, never a reason for `import datasets` to fail
    for format_name, (class_name, warns) in GUARDED.items():
        original = getattr(formatting, class_name, None)  # no TorchFormatter without torch
        if original is not None and _FORMAT_TYPES.get(format_name) is original:
            _FORMAT_TYPES[format_name] = _guarded_class(original, format_name, warns)
