"""RWP-636 (MG Matting's real-world portraits): images and alpha mattes, read in place."""
