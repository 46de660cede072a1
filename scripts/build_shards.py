#!/usr/bin/env python
"""Build mattehub shards.

    python scripts/build_shards.py                  # demo of every config into ./mattehub-demo
    python scripts/build_shards.py --out DIR        # the same demo into DIR
    python scripts/build_shards.py CONFIG --out DIR [options]   # = mattehub build CONFIG ...

Run with ``CONFIG --help`` for the options of a build.
"""
import sys

from mattehub.cli.main import main
from mattehub.families.registry import CONFIG_NAMES

if __name__ == "__main__":
    argv = sys.argv[1:]
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        sys.exit(main(["build", "--help"]))
    command = ["build"] if argv and argv[0] in CONFIG_NAMES else ["demo"]
    sys.exit(main(command + argv))
