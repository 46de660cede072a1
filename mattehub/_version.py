"""mattehub's version, in a module of its own so the CLI and the build record can read it
without importing the package (whose ``__init__`` registers the ``datasets`` builder)."""
__version__ = "0.1.0"
