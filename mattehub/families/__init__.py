"""One package per dataset family: its recipe, pixel work, meta, source reader and demo stand-in."""
