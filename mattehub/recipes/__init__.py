"""The recipe interface and what every recipe shares (outcomes, the --with trimap wrapper)."""
