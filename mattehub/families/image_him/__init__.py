"""Image human-instance matting: I-HIM50K-style composites (i-him)."""
