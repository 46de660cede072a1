"""Bad-input rows: archive_cases."""
from __future__ import annotations

from .harness import Case

CASES: list[Case] = []
