"""SURREAL renders as matting samples with depth and part labels (surreal-alpha)."""
