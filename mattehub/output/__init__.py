"""The output folder: path layout, local and fsspec targets, cards and previews."""
