"""The bad-input corpus: every row of every ``*_cases.py`` module, in one list.

Each row says which issue item it covers, how the input is damaged and what must come out.
"""
from __future__ import annotations

from .harness import Case

CASES: list[Case] = []
