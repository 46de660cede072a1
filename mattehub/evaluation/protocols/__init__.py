"""Evaluation protocols, one module each: ``dim`` (mattehub's definitions, the default),
``maggie`` (MaGGIe's released evaluation) and ``rvm`` (Robust Video Matting's
``evaluate_lr.py``). See docs/evaluation.md for which paper's table each reproduces."""
from __future__ import annotations

from mattehub.contract.choices import PROTOCOLS
from mattehub.evaluation.protocols.base import Protocol
from mattehub.evaluation.protocols.dim import DimProtocol
from mattehub.evaluation.protocols.maggie import MaggieProtocol
from mattehub.evaluation.protocols.rvm import RvmProtocol

CLASSES: dict[str, type[Protocol]] = {"dim": DimProtocol, "maggie": MaggieProtocol,
                                      "rvm": RvmProtocol}


def protocol(name: str) -> Protocol:
    """The protocol called ``name`` (one of ``PROTOCOLS``)."""
    try:
        return CLASSES[name]()
    except KeyError:
        raise ValueError(f"unknown protocol {name!r}: expected one of {', '.join(PROTOCOLS)}") from None
