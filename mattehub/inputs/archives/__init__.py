"""Reading zip archives in place, split (Info-ZIP ``zip -s``) or not, local or remote."""
from mattehub.inputs.archives.errors import ArchiveError
from mattehub.inputs.archives.splitzip import Member, SplitZip

__all__ = ["ArchiveError", "Member", "SplitZip"]
