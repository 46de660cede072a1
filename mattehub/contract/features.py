"""Feature types of the Parquet and WebDataset layouts, declared without importing ``datasets``.

A family declares its ``meta`` struct with ``Value`` and ``List`` (and dicts for structs),
spelled as in ``datasets``; the contract adds ``Image``. Why our own and not
``datasets.Value``: importing ``datasets`` costs over a second (it pulls pandas and
``pyarrow.dataset``), and a build worker, which unpickles a recipe and so imports its meta
declaration, needs only what the Parquet writer embeds: the Arrow type of each column and
``datasets``' JSON of the features (``Features.to_dict()``), which this module builds with
pyarrow and plain dicts. ``to_datasets`` makes the ``datasets.Features`` the card, the
streaming builder and ``verify`` need, importing ``datasets`` only then; a test holds both
routes to the same Arrow schema and JSON for every config.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    import datasets
    import pyarrow as pa


@dataclass(frozen=True)
class Value:
    """A scalar of Arrow type ``dtype`` (``string``, ``int32``, ``float64``, ``bool``...)."""

    dtype: str

    def __repr__(self) -> str:  # as datasets spells it, in merge-clash messages
        return f"Value('{self.dtype}')"


@dataclass(frozen=True)
class List:
    """A list of any length of ``feature``."""

    feature: Feature

    def __repr__(self) -> str:
        return f"List({self.feature!r})"


@dataclass(frozen=True)
class Image:
    """An encoded image (``datasets.Image()``): stored as ``{"bytes", "path"}``."""

    def __repr__(self) -> str:
        return "Image()"


Feature = Union[Value, List, Image, dict]
"""A feature: a ``Value``, a ``List``, an ``Image`` or a struct (dict of name to feature)."""

_ARROW_NAMES = {"bool": "bool_", "float": "float32", "double": "float64"}
"""``datasets`` dtype names that are not pyarrow factory names."""


def feature_dict(feature: Feature) -> Any:
    """``feature`` as ``datasets`` writes it in JSON (``Features.to_dict()``, which the Parquet
    writer embeds in each shard's schema metadata and the build record keeps)."""
    if isinstance(feature, Value):
        return {"dtype": feature.dtype, "_type": "Value"}
    if isinstance(feature, List):
        return {"feature": feature_dict(feature.feature), "_type": "List"}
    if isinstance(feature, Image):
        return {"_type": "Image"}
    if isinstance(feature, dict):
        return {name: feature_dict(value) for name, value in feature.items()}
    raise TypeError(f"not a mattehub feature: {feature!r}")


def arrow_type(feature: Feature) -> pa.DataType:
    """The Arrow type ``datasets`` stores ``feature`` as (``Features.type``)."""
    import pyarrow as pa  # a worker imports it for Parquet anyway; the CLI does not

    if isinstance(feature, Value):
        return getattr(pa, _ARROW_NAMES.get(feature.dtype, feature.dtype))()
    if isinstance(feature, List):
        return pa.list_(arrow_type(feature.feature))
    if isinstance(feature, Image):
        return pa.struct({"bytes": pa.binary(), "path": pa.string()})
    if isinstance(feature, dict):
        return pa.struct({name: arrow_type(value) for name, value in feature.items()})
    raise TypeError(f"not a mattehub feature: {feature!r}")


def to_datasets(features: dict[str, Feature]) -> datasets.Features:
    """``features`` as ``datasets.Features`` (importing ``datasets``: not for workers)."""
    import datasets

    return datasets.Features.from_dict(feature_dict(features))


def features_yaml(features: dict[str, Any]) -> list[dict]:
    """A row's features, given in their JSON form (``feature_dict``), as a dataset card's
    ``dataset_info`` lists them (``datasets.Features._to_yaml_list``): ``name`` with
    ``dtype``, ``list`` or ``struct``; a list of a plain type or of a struct names it
    directly (``list: image``). Written here so that a build can write its card without
    importing ``datasets`` (0.6 s); tests/test_contract.py holds it equal to the
    ``datasets`` route for every config."""
    return [{"name": name, **_yaml_entry(feature)} for name, feature in features.items()]


def _yaml_entry(feature: dict[str, Any]) -> dict[str, Any]:
    kind = feature.get("_type")
    if kind == "Value":
        return {"dtype": feature["dtype"]}
    if kind == "Image":
        return {"dtype": "image"}
    if kind == "List":
        inner = _yaml_entry(feature["feature"])
        plain = list(inner) in (["dtype"], ["struct"])
        return {"list": inner[next(iter(inner))] if plain else inner}
    if kind is None:
        return {"struct": features_yaml(feature)}
    raise TypeError(f"not a mattehub feature: {feature!r}")
