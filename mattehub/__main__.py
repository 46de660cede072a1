"""``python -m mattehub``: the same command line as the ``mattehub`` script."""
import sys

from mattehub.cli.main import main

sys.exit(main())
