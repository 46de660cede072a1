"""The licence terms each config declares, and the gate ``mattehub push`` applies to them:
one test per licence class (allowed, non-commercial, unknown, forbidden without and with
``--i-hold-rights``), then the gate on a folder of built configs (no network)."""
from __future__ import annotations

import pytest

from mattehub.contract.licence import LicenceTerms, Redistribution
from mattehub.families.registry import CONFIG_NAMES, recipe_class
from mattehub.publish.licence_gate import (PRIVATE, PUBLIC, REFUSED, LicenceRefused, check_decisions,
                                           decide, decide_all, format_decisions, repo_private)

OPEN = LicenceTerms("cc-by-4.0", "Creative Commons Attribution 4.0", Redistribution.ALLOWED, True,
                    "Cite us.", "https://creativecommons.org/licenses/by/4.0/")
NON_COMMERCIAL = LicenceTerms("cc-by-nc-4.0", "CC BY-NC 4.0", Redistribution.ALLOWED, False,
                              "Cite us.", "https://creativecommons.org/licenses/by-nc/4.0/")
UNSTATED = LicenceTerms("user-sources", "yours", Redistribution.UNKNOWN, None, "", "")
CLOSED = LicenceTerms("closed-license", "Closed Licence", Redistribution.FORBIDDEN, False,
                      "Cite us.", "https://example.org/licence")


# --- the declarations -------------------------------------------------------------------

def test_every_config_declares_its_sources_terms():
    for name in CONFIG_NAMES:
        terms = recipe_class(name).terms
        assert isinstance(terms, LicenceTerms), name
        assert terms.attribution or terms.redistribution is Redistribution.UNKNOWN, name
        assert recipe_class(name).licence == terms.hub_licence, name   # the card's licence id


@pytest.mark.parametrize("config, licence, redistribution, commercial", [
    ("surreal-alpha", "surreal-license", Redistribution.FORBIDDEN, False),
    ("aim", "adobe-dim-license", Redistribution.FORBIDDEN, False),
    ("composition-1k", "adobe-dim-license", Redistribution.FORBIDDEN, False),
    ("i-him50k", "cc-by-nc-4.0", Redistribution.ALLOWED, False),
    ("v-him60", "cc-by-nc-4.0", Redistribution.ALLOWED, False),
    ("i-him", "cc-by-nc-4.0", Redistribution.ALLOWED, False),
    ("duts", "duts-terms", Redistribution.UNKNOWN, None),
    ("p3m-10k", "p3m-10k-agreement", Redistribution.UNKNOWN, None),
    ("p3m-500", "p3m-10k-agreement", Redistribution.UNKNOWN, None),
    ("am-2k", "am-2k-agreement", Redistribution.UNKNOWN, None),
    ("am-2k-validation", "am-2k-agreement", Redistribution.UNKNOWN, None),
    ("aim-500", "aim-500-agreement", Redistribution.UNKNOWN, None),
    ("ppm-100", "cc-by-nc-sa-4.0", Redistribution.ALLOWED, False),
    ("overlay-depth", "user-sources", Redistribution.UNKNOWN, None),
])
def test_the_declared_terms_follow_the_published_licences(config, licence, redistribution, commercial):
    terms = recipe_class(config).terms
    assert (terms.licence_id, terms.redistribution, terms.commercial_use) == (
        licence, redistribution, commercial)


# --- one decision per licence class ------------------------------------------------------

def test_open_sources_go_public():
    decision = decide("c", OPEN)
    assert decision.action == PUBLIC and not repo_private([decision], private=False)
    assert repo_private([decision], private=True)          # --private still wins


@pytest.mark.parametrize("terms", [NON_COMMERCIAL, UNSTATED, None])
def test_non_commercial_and_unknown_sources_go_private_unless_public(terms):
    kept = decide("c", terms)
    assert kept.action == PRIVATE and "pass --public" in kept.reason
    assert repo_private([decide("open", OPEN), kept], private=False)
    opened = decide("c", terms, public=True)
    assert opened.action == PUBLIC and "--public was given" in opened.reason


def test_forbidden_sources_are_refused_naming_config_and_licence():
    decision = decide("surreal-alpha", CLOSED)
    assert decision.action == REFUSED
    assert decision.line().startswith("surreal-alpha: REFUSED (closed-license): Closed Licence "
                                      "forbids redistributing")
    assert "--i-hold-rights closed-license" in decision.reason
    with pytest.raises(LicenceRefused, match="surreal-alpha: REFUSED .closed-license."):
        check_decisions([decide("ok", OPEN), decision])
    # a flag naming another licence does not open it
    assert decide("surreal-alpha", CLOSED, frozenset({"cc-by-nc-4.0"})).action == REFUSED


def test_forbidden_sources_with_the_rights_flag_go_private_unless_public():
    held = frozenset({"closed-license"})
    decision = decide("surreal-alpha", CLOSED, held)
    assert decision.action == PRIVATE and "you state you hold the rights" in decision.reason
    check_decisions([decision])                              # not refused
    assert decide("surreal-alpha", CLOSED, held, public=True).action == PUBLIC


def test_the_report_has_one_line_per_config_and_the_repo_visibility():
    decisions = decide_all(["i-him", "surreal-alpha"], held=["surreal-license"])
    text = format_decisions(decisions, private=False)
    assert "  i-him: PRIVATE (cc-by-nc-4.0)" in text
    assert "  surreal-alpha: PRIVATE (surreal-license)" in text
    assert "repo visibility: private, because of i-him, surreal-alpha" in text
    assert "repo visibility: private (--private)" in format_decisions(decisions, private=True)
