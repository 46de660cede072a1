"""PPM-100 photographic portrait matting benchmark, read in place (``ppm-100``)."""
