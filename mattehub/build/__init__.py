"""Writing one split: the shard plan, the shard task, workers, distributors and finalisation."""
