"""The packaged rule versions against the law notes (../shared/reference/legal-registry-security.md and the
statutes they cite): each version's effective date, day counts and citation. A version edited without its
statute fails here, as does a citation that drifts from the day it names."""

from __future__ import annotations

from datetime import date

import pytest

from vigilant.registry.models import Regime
from vigilant.registry.rules import rule_set

# id: (effective, change-of-residence days, first-report days, what the citation must name)
LAW = {
    # SOIRA, S.C. 2004, c. 10, in force 15 December 2004: initial registration and changes within 15 days.
    "federal-2004": (date(2004, 12, 15), 15, 15, "S.C. 2004, c. 10) as enacted, ss. 4(1) and 4.1"),
    # Protecting Victims From Sex Offenders Act, S.C. 2010, c. 17, in force 15 April 2011: 7 days (SOIRA
    # ss. 4(1) and 4.1), the "7 days for changes" of the national registry today.
    "federal-2011": (date(2011, 4, 15), 7, 7, "ss. 4(1) and 4.1 as amended by S.C. 2010, c. 17"),
    # Christopher's Law (Sex Offender Registry), 2000, S.O. 2000, c. 1, in force 23 April 2001: 15 days.
    "ontario-2001": (date(2001, 4, 23), 15, 15, "S.O. 2000, c. 1"),
}


@pytest.mark.parametrize("regime", list(Regime))
def test_each_rule_version_has_its_statutes_day_and_figures(regime: Regime) -> None:
    for version in rule_set(regime).versions:
        effective, change_days, first_days, citation = LAW[version.id]
        assert version.effective_from == effective, version.id
        assert (version.residence_change_days, version.initial_report_days) == (change_days, first_days)
        assert citation in version.statute, version.id
        assert version.annual_window_days == 15  # Christopher's Law's ±15 days, the platform's default


def test_every_packaged_version_is_checked_against_the_law() -> None:
    packaged = {v.id for regime in Regime for v in rule_set(regime).versions}
    assert packaged == set(LAW)
