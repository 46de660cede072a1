"""Scoring predicted mattes against a config's ground truth (``mattehub evaluate``) under a
paper's evaluation protocol, and writing model outputs where it reads them.

>>> from mattehub.evaluation import EvaluationOptions, evaluate, write_predictions

Importing this package is light (no ``datasets``): evaluation worker processes import it, and
``evaluate`` imports the streaming stack when a run starts.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from mattehub.evaluation.options import EvaluationOptions
from mattehub.evaluation.predictions import write_predictions

if TYPE_CHECKING:
    from mattehub.evaluation.report import EvaluationReport


def evaluate(options: EvaluationOptions) -> EvaluationReport:
    """Score every sample of ``options.split`` against ``options.pred_dir``
    (``mattehub.evaluation.run.evaluate``)."""
    from mattehub.evaluation.run import evaluate as run

    return run(options)


__all__ = ["EvaluationOptions", "evaluate", "write_predictions"]
