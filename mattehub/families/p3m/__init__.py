"""P3M-10k privacy-preserving portrait matting, read in place (``p3m-10k``)."""
