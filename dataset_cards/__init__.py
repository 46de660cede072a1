"""Dataset card templates (``card.md`` and one ``<config>.md`` per recipe), shipped as package data."""
