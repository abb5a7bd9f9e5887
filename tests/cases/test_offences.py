"""The charges catalogue: valid, unique sections, and look-ups by code or section."""

from __future__ import annotations

import pytest

from vigilant.cases.errors import InvalidRecordError
from vigilant.cases.offences import CATALOGUE, OFFENCES, SECTION_PATTERN, offence

REQUIRED = {
    "163.1(2)",
    "163.1(3)",
    "163.1(4)",
    "163.1(4.1)",
    "151",
    "152",
    "153",
    "171.1",
    "172.1",
    "172.2",
    "271",
    "286.1(2)",
}


def test_sections_are_valid_and_unique() -> None:
    sections = [o.section for o in CATALOGUE]
    assert len(sections) == len(set(sections))
    assert len(OFFENCES) == len(CATALOGUE)
    for o in CATALOGUE:
        assert SECTION_PATTERN.fullmatch(o.section), o
        assert o.title
        assert o.code == o.code.strip().lower()


def test_the_issue_s_offences_are_all_there() -> None:
    assert {o.section for o in CATALOGUE} >= REQUIRED


def test_lookup_by_code_or_section() -> None:
    assert offence("cp-accessing").section == "163.1(4.1)"
    assert offence("s. 163.1(4)").code == "cp-possessing"
    assert offence("172.1").title == "Luring a child"
    with pytest.raises(InvalidRecordError, match="no offence"):
        offence("999")
