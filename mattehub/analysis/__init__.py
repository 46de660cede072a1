"""Metrics, evaluation of predictions, and per-channel statistics of built splits."""
