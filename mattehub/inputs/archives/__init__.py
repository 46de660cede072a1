"""Reading zip archives in place, split (Info-ZIP ``zip -s``) or not, local or remote.
Their problems raise ``mattehub.core.errors.ArchiveError``."""
from mattehub.inputs.archives.splitzip import Member, SplitZip

__all__ = ["Member", "SplitZip"]
