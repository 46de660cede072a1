"""What an evaluation protocol is: one place per paper's evaluation code.

A protocol turns each sample's paired predictions into a JSON-able record (``score``, run in
worker processes: a pure function of the case and its predictions), may decide per-run
things in order first (``prepare``, in the parent: e.g. MaGGIe's seeded instance cap), and
reduces the records to the table it reports (``summarise``). The metric functions in
``mattehub.analysis`` keep the correct definitions; a protocol only chooses among them and
adds its paper's quirks, each named in its module docstring.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from mattehub.evaluation.cases import Case, Pair

LABELS = {"sad": "SAD", "mse": "MSE", "mad": "MAD", "grad": "Grad", "conn": "Conn",
          "dtssd": "dtSSD", "messddt": "MESSDdt"}
"""Column titles of the printed tables."""


@dataclass
class Summary:
    """A protocol's reduction of every record: the means per row (region) and metric,
    what they average over, and counts / notes to print."""

    means: dict[str, dict[str, float]]
    means_over: str
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class Protocol:
    """One paper's evaluation: preparation, per-sample scoring and reduction."""

    name = ""
    title = ""
    """Printed first: whose evaluation this is."""
    scales = ""
    """How values are reported, in words (printed under the table)."""

    def prepare(self, cases: Iterator[Case]) -> Iterator[Case]:
        """Per-run decisions that depend on the order of samples (none by default)."""
        return cases

    def score(self, case: Case, pairs: list[Pair], trimap_kind: str | None) -> dict:
        """The record of one sample (JSON-able; no key, instances or counts: the caller adds
        those)."""
        raise NotImplementedError

    def summarise(self, kind: str, records: list[dict]) -> Summary:
        """The reported table from every sample's record, in sample order."""
        raise NotImplementedError

    def describe_scales(self, kind: str) -> str:
        """The reporting scales of ``kind`` samples, in words."""
        return self.scales
