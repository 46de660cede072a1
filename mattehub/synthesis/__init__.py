"""Pixel operations shared by the synthesis recipes (cropping, scaling, occlusion, compositing)."""
