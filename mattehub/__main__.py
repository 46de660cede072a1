"""``python -m mattehub``: the same command line as the ``mattehub`` script."""
import sys

from .cli import main

sys.exit(main())
