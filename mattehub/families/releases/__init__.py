"""The original HIM releases (and the "own dataset" layouts), read in place."""
