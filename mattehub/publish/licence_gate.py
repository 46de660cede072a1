"""The licence gate of ``mattehub push``: per config, publish, publish privately, or refuse.

The decision is made from the terms each family declares for its configs
(``Recipe.terms``, ``mattehub.contract.licence``), before any check or upload:

* sources that **forbid redistribution** (SURREAL, the Adobe Deep Image Matting dataset):
  refused, naming the config and the licence, unless the user states that they hold the
  rights with ``--i-hold-rights LICENCE_ID`` naming that licence; then pushed privately
  unless ``--public``;
* sources that allow redistribution but **not commercial use** (CC BY-NC 4.0), and sources
  whose terms are **unknown** (no licence published, or sources the user supplied): pushed to
  a private repo unless ``--public``;
* sources that allow both: pushed with the repo's default visibility.

One repo holds all the configs pushed, so it is private when any of them must be.
"""
from __future__ import annotations

from dataclasses import dataclass

from mattehub.contract.licence import LicenceTerms, Redistribution
from mattehub.publish.push import PushError

PUBLIC, PRIVATE, REFUSED = "public", "private", "refused"


class LicenceRefused(PushError):
    """A config's sources forbid redistribution and no ``--i-hold-rights`` names their licence."""


@dataclass(frozen=True)
class Decision:
    """What the gate decided for one config, and why."""

    config: str
    terms: LicenceTerms | None
    action: str
    """``PUBLIC``, ``PRIVATE`` or ``REFUSED``."""
    reason: str

    @property
    def licence_id(self) -> str:
        return self.terms.licence_id if self.terms else "unknown"

    def line(self) -> str:
        """``config: ACTION (licence): reason``."""
        return f"{self.config}: {self.action.upper()} ({self.licence_id}): {self.reason}"


def config_terms(config: str) -> LicenceTerms | None:
    """The terms declared for ``config`` (None for a recipe that declares none)."""
    from mattehub.families.registry import CONFIGS, recipe_class

    return recipe_class(config).terms if config in CONFIGS else None


def decide(config: str, terms: LicenceTerms | None, held: frozenset[str] = frozenset(),
           public: bool = False) -> Decision:
    """The gate's decision for one config: ``held`` are the licence ids the user holds rights
    under (``--i-hold-rights``), ``public`` whether they asked for a public repo."""
    if terms is None or terms.redistribution is Redistribution.UNKNOWN:
        why = ("its sources' terms are unknown" if terms is None else
               f"{terms.name}: redistribution not stated")
        return _visibility(config, terms, public, f"{why}; check them before making it public")
    if terms.redistribution is Redistribution.FORBIDDEN:
        if terms.licence_id not in held:
            return Decision(config, terms, REFUSED,
                            f"{terms.name} forbids redistributing its data; pass --i-hold-rights "
                            f"{terms.licence_id} if you hold the rights to publish it, or leave "
                            "it out with --config")
        return _visibility(config, terms, public, f"{terms.name} forbids redistribution; you "
                                                  f"state you hold the rights (--i-hold-rights "
                                                  f"{terms.licence_id})")
    if terms.commercial_use is not True:
        return _visibility(config, terms, public, f"{terms.name}: non-commercial use only")
    return Decision(config, terms, PUBLIC, f"{terms.name} allows redistribution and commercial use")


def _visibility(config: str, terms: LicenceTerms | None, public: bool, why: str) -> Decision:
    if public:
        return Decision(config, terms, PUBLIC, f"{why}; public because --public was given")
    return Decision(config, terms, PRIVATE, f"{why}; private repo (pass --public to publish it "
                                            "publicly)")


def decide_all(configs: list[str], held: list[str] | None = None,
               public: bool = False) -> list[Decision]:
    """One decision per config, from the terms its family declares."""
    rights = frozenset(held or ())
    return [decide(config, config_terms(config), rights, public) for config in configs]


def check_decisions(decisions: list[Decision]) -> None:
    """LicenceRefused naming every refused config and its licence, else nothing."""
    refused = [d for d in decisions if d.action == REFUSED]
    if refused:
        raise LicenceRefused("licence gate: nothing was uploaded\n"
                             + "\n".join(f"  {d.line()}" for d in refused))


def repo_private(decisions: list[Decision], private: bool) -> bool:
    """Whether the repo must be private: ``--private``, or any config the gate keeps private."""
    return private or any(d.action == PRIVATE for d in decisions)


def format_decisions(decisions: list[Decision], private: bool) -> str:
    """The dry run's licence report: one line per config, then the repo's visibility."""
    lines = ["licence gate:"] + [f"  {d.line()}" for d in decisions]
    kept = [d.config for d in decisions if d.action == PRIVATE]
    if private:
        lines.append("  repo visibility: private (--private)")
    elif kept:
        lines.append(f"  repo visibility: private, because of {', '.join(kept)}")
    else:
        lines.append("  repo visibility: the Hub's default for new repos (public unless your "
                     "account or organisation says otherwise)")
    return "\n".join(lines)
