"""Reading zip archives in place, split (Info-ZIP ``zip -s``) or not, local or remote."""
from .errors import ArchiveError
from .splitzip import Member, SplitZip

__all__ = ["ArchiveError", "Member", "SplitZip"]
