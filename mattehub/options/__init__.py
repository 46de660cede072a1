"""Each build option declared once: typed fields with their flag, help and parser."""
