"""Adobe Image Matting (aim) and its Composition-1k test set."""
