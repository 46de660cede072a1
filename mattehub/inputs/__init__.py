"""Reading source files from anywhere (local, http(s)://, hf://, split zips) through one gate."""
