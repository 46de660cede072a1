"""AIM-500 natural image matting test set, read in place (``aim-500``)."""
