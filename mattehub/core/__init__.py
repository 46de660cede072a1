"""Cross-cutting basics every layer may use (errors, JSON files, seeds, redaction); imports nothing else from mattehub."""
