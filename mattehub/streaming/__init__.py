"""The `datasets` side: registration of the mattehub builder, generator shards, the stable stream()."""
