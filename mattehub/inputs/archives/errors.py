"""The error every archive problem raises: it names the file and says what is wrong."""
from mattehub.core.errors import SourceError


class ArchiveError(SourceError):
    """A zip archive (or one of its parts) is missing, damaged or not what it should be."""
