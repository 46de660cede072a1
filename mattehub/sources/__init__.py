"""Source discovery: listing, pairing and validating the files a recipe reads."""
