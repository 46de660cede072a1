"""``datasets`` builder modules (installed as ``mattehub.builders``)."""
