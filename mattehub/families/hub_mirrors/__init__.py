"""Hub mirrors: ``datasets``-style Parquet (an ``image`` column, a mask or list-of-masks column) read in place."""
