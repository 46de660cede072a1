"""The licence terms of a config's sources, as data (``mattehub push`` decides from them).

Each family declares the terms of its configs next to its recipe (``terms`` on the recipe
class); the facts and where they come from are in ``docs/licences.md``. A record says what
the *sources* allow, since every sample a config writes is derived from them: whether they may
be redistributed (``ALLOWED``, ``FORBIDDEN``, or ``UNKNOWN`` when no licence states it, or the
user supplies the sources), whether commercial use is allowed (None: not stated), and the
attribution the licence asks for. ``hub_licence`` is the ``license`` id a Hub card carries.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

HUB_LICENCE_IDS = frozenset({"cc-by-nc-4.0", "cc-by-4.0", "cc-by-sa-4.0", "cc-by-nc-sa-4.0",
                             "cc0-1.0", "mit", "apache-2.0"})
"""Licence ids the Hub knows that mattehub's configs may carry; any other id is ``other`` on
a Hub card (with a ``license_name``)."""


class Redistribution(str, Enum):
    """May samples derived from the sources be published (uploaded where others get them)?"""

    ALLOWED = "allowed"
    FORBIDDEN = "forbidden"
    UNKNOWN = "unknown"
    """No licence says (a dataset published without one), or the user supplies the sources."""


@dataclass(frozen=True)
class LicenceTerms:
    """What the sources of one config allow: the record ``mattehub push`` decides on."""

    licence_id: str
    """Short id: a Hub licence id (``cc-by-nc-4.0``) or mattehub's name for a dataset's own
    licence (``surreal-licence``, ``adobe-dim-licence``); what ``--i-hold-rights`` names."""
    name: str
    """The licence's human name."""
    redistribution: Redistribution
    commercial_use: bool | None
    """True: allowed; False: forbidden; None: not stated."""
    attribution: str
    """What the licence (or the authors) ask users to cite or credit."""
    url: str
    """Where the licence text is published (empty when there is none)."""
    sources: tuple[str, ...] = ()
    """The source datasets whose terms these are (user-supplied sources named as such)."""

    @property
    def hub_licence(self) -> str:
        """The Hub card's ``license`` value for this licence."""
        return self.licence_id if self.licence_id in HUB_LICENCE_IDS else "other"

    def describe(self) -> str:
        """One line: licence, redistribution, commercial use."""
        commercial = {True: "commercial use allowed", False: "non-commercial only",
                      None: "commercial use not stated"}[self.commercial_use]
        return (f"{self.name} ({self.licence_id}): redistribution {self.redistribution.value}, "
                f"{commercial}")

    def as_dict(self) -> dict:
        """JSON-able form (a card's or a report's)."""
        return {"licence_id": self.licence_id, "name": self.name,
                "redistribution": self.redistribution.value,
                "commercial_use": self.commercial_use, "attribution": self.attribution,
                "url": self.url, "sources": list(self.sources)}

