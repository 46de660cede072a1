"""DUTS saliency masks as matting samples with trimaps."""
