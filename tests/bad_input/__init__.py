"""The bad-input corpus: every way an input can be damaged, one row per case (see corpus.py)."""
