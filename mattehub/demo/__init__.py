"""Small, deterministic stand-in data for demos that must run without downloads."""
