from __future__ import annotations

import pytest

from vigilant.library.categories import CAID_UK, DHS, PROFILES, VIC_US, CategoryClass, InvalidCategoryError


def test_same_number_means_different_things_in_vic_us_and_dhs() -> None:
    assert VIC_US.get(0).cls is CategoryClass.NON_PERTINENT  # type: ignore[union-attr]
    assert DHS.get(0).cls is CategoryClass.UNCATEGORIZED  # type: ignore[union-attr]
    assert VIC_US.get(4).label == "Comparison Images"  # type: ignore[union-attr]
    assert DHS.get(4).label == "Exemplar"  # type: ignore[union-attr]
    assert DHS.get(5).cls is CategoryClass.NON_PERTINENT  # type: ignore[union-attr]


def test_codes_outside_the_profile_are_refused() -> None:
    with pytest.raises(InvalidCategoryError, match="not defined by profile vic-us"):
        VIC_US.get(5)
    with pytest.raises(InvalidCategoryError):
        CAID_UK.get("D")


def test_caid_grades_are_case_insensitive_and_all_abuse() -> None:
    assert CAID_UK.normalise("a") == "A"
    assert {CAID_UK.get(g).cls for g in "ABC"} == {CategoryClass.ABUSE}  # type: ignore[union-attr]


def test_missing_code_is_uncategorised() -> None:
    assert VIC_US.get(None) is None
    assert VIC_US.get("  ") is None


def test_severity_orders_classes_across_profiles() -> None:
    assert VIC_US.get(1).severity > VIC_US.get(2).severity > VIC_US.get(3).severity  # type: ignore[union-attr]
    assert DHS.get(1).severity == CAID_UK.get("B").severity  # type: ignore[union-attr]


def test_registry_lists_every_profile() -> None:
    assert PROFILES.names() == ["vic-us", "dhs", "caid-uk", "none"]
