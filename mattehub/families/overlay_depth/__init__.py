"""Overlay + mask + depth samples, synthesised or read from the original dataset."""
