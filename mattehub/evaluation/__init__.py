"""Scoring predicted mattes against a config's ground truth (``mattehub evaluate``) under a
paper's evaluation protocol, and writing model outputs where it reads them.

>>> from mattehub.evaluation import EvaluationOptions, evaluate, write_predictions
"""
from __future__ import annotations

from mattehub.evaluation.options import EvaluationOptions
from mattehub.evaluation.predictions import write_predictions
from mattehub.evaluation.report import EvaluationReport
from mattehub.evaluation.run import evaluate

__all__ = ["EvaluationOptions", "EvaluationReport", "evaluate", "write_predictions"]
