"""The result of ``mattehub evaluate``: per-sample records, the protocol's summary, and the
printed table and JSON made from them."""
from __future__ import annotations

from dataclasses import dataclass

from mattehub.analysis.clip_metrics import CLIP_METRICS
from mattehub.analysis.metrics import SCALES
from mattehub.evaluation.options import EvaluationOptions
from mattehub.evaluation.protocols.base import LABELS, Protocol, Summary
from mattehub.evaluation.protocols.dim import trimap_rule


@dataclass
class EvaluationReport:
    """Every sample's record and the protocol's reduction of them."""

    options: EvaluationOptions
    protocol: Protocol
    kind: str
    samples: list[dict]
    missing: list[str]
    found: int
    summary: Summary

    def means(self) -> dict[str, dict[str, float]]:
        """The protocol's table: mean per row (region) and metric."""
        return self.summary.means

    def regions(self) -> str:
        """Where the regions came from, in words."""
        if self.protocol.name == "dim":
            return "trimap: " + trimap_rule(self.kind, self.options.trimap_kind)
        if self.protocol.name == "maggie":
            return "whole image; MAD also per region of the him-eval trimap"
        return "whole frame"

    def counts(self) -> dict[str, int]:
        """Samples, predictions read and missing, and the protocol's own counts."""
        counts = {"samples": len(self.samples), "predictions_read": self.found,
                  "missing_predictions": len(self.missing), **self.summary.counts}
        if self.kind != "alpha":
            counts.update(
                instances_without_mask=sum(len(s["instances_without_mask"]) for s in self.samples),
                extra_predictions=sum(len(s["extra_predictions"]) for s in self.samples))
        return counts

    def format(self) -> str:
        """The means as an aligned table, with counts, scales and missing predictions."""
        o, counts = self.options, self.counts()
        scored = f", {counts['instances']} instances" if "instances" in counts else ""
        lines = [self.protocol.title,
                 f"{o.config}/{o.split}: {counts['samples']} samples{scored} (means over "
                 f"{self.summary.means_over}); matching: {o.matching}; {self.regions()}"]
        metrics = [m for m in CLIP_METRICS if any(m in row for row in self.means().values())]
        header = ["region"] + [LABELS[m] for m in metrics]
        rows = [header] + [[region] + [f"{values[m]:.4g}" if m in values else "" for m in metrics]
                           for region, values in self.means().items()]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines += ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                            for i, (cell, w) in enumerate(zip(row, widths))).rstrip() for row in rows]
        lines.append("scales (alpha in [0, 1]): " + self.protocol.describe_scales(self.kind))
        return "\n".join(lines + self.summary.notes + self._notes(counts))

    def _notes(self, counts: dict[str, int]) -> list[str]:
        notes = []
        if self.missing:
            shown = ", ".join(self.missing[:5]) + (", ..." if len(self.missing) > 5 else "")
            notes.append(f"{len(self.missing)} missing predictions scored as all-zero mattes: {shown}")
        if counts.get("instances_without_mask"):
            notes.append(f"{counts['instances_without_mask']} instances without a guidance mask "
                         "not evaluated (as in MaGGIe's evaluation)")
        if counts.get("extra_predictions"):
            notes.append(f"{counts['extra_predictions']} predicted instances matched no ground "
                         "truth and were ignored")
        return notes

    def as_dict(self) -> dict:
        """JSON-able form: options, definitions, counts, means and every sample's record."""
        o = self.options
        scales = ({m: SCALES[m] for m in CLIP_METRICS if any(m in r for r in self.means().values())}
                  if self.protocol.name == "dim" else self.protocol.describe_scales(self.kind))
        return {"config": o.config, "split": o.split, "data_dir": str(o.data_dir),
                "pred_dir": str(o.pred_dir), "protocol": self.protocol.name,
                "protocol_title": self.protocol.title, "kind": self.kind, "matching": o.matching,
                "regions": self.regions(), "means_over": self.summary.means_over,
                "scales": scales, "counts": self.counts(), "means": self.means(),
                "notes": self.summary.notes, "missing": self.missing, "samples": self.samples}
