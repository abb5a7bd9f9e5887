"""The pieces the writers share: text escapes, hit labels, fast UUIDs, the spool and the MD5 grouping."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.triage.reports.synthetic import BY_DHS, BY_MD5, BY_PDQ, KNOWN_GOOD, content, file_record
from vigilant.triage.reports._case_nodes import uuid5
from vigilant.triage.reports._media_groups import Category, MediaGroups
from vigilant.triage.reports._spool import SortedSpool
from vigilant.triage.reports._text import hit_label, iso_utc, spreadsheet_safe, visible
from vigilant.triage.reports.vics import us_category


@given(st.text())
def test_visible_text_is_legal_xml_and_plain_text_is_untouched(text: str) -> None:
    shown = visible(text)
    assert all(c in "\t\n\r" or (c >= " " and c not in "\x7f\ufffe\uffff") for c in shown)
    assert not any("\ud800" <= c <= "\udfff" for c in shown)
    if all(" " <= c < "\x7f" or "\xa0" <= c < "\ud800" for c in text):
        assert shown == text


def test_visible_escapes_read_like_python() -> None:
    assert visible("a\x00b\x07c\nd\x9f\ufffe") == "a\\x00b\\x07c\\x0ad\\x9f\\ufffe"
    assert visible("ünïcödé 子供 ✓") == "ünïcödé 子供 ✓"


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_spreadsheet_safe(text: str, cell: str) -> None:
    assert spreadsheet_safe(text) == cell


def test_hit_labels_parse_back() -> None:
    assert hit_label(BY_MD5) == "Test CAM set@2026.1:md5:1"
    assert hit_label(BY_PDQ) == "Test CAM set@2026.1:pdq:12:2:#102"
    assert hit_label(replace(BY_PDQ, pdq_method="full")) == "Test CAM set@2026.1:pdq:12/full:2:#102"
    assert hit_label(KNOWN_GOOD) == "NSRL sample@2026.03:sha1:"
    assert hit_label(replace(BY_PDQ, distance=None, category=None)) == "Test CAM set@2026.1:pdq:::#102"


def test_times_are_utc_with_a_z() -> None:
    assert (
        iso_utc(datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5)))) == "2024-01-02T08:04:05Z"
    )
    assert iso_utc(datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05Z"  # naive: UTC
    assert iso_utc(datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC)) == "2024-01-02T03:04:05.000006Z"


@given(st.binary(min_size=16, max_size=16), st.text())
def test_fast_uuid5_matches_the_standard_library(namespace: bytes, name: str) -> None:
    name = name.encode("utf-8", "replace").decode("utf-8", "replace")  # lone surrogates are not names
    assert uuid5(namespace, name) == str(uuid.uuid5(uuid.UUID(bytes=namespace), name))


def test_the_spool_returns_rows_in_key_order_negative_keys_included(tmp_path: Path) -> None:
    keys = [(-5, 3), (-5, 1), (0, 0), (-4, 2), (2**40, 1), (-(2**40), 9)]
    with SortedSpool(tmp_path) as spool:
        for key in keys:
            spool.add(key, [list(key), "ünï"])
        assert [tuple(row[0]) for row in spool.rows()] == sorted(keys)
        assert spool.count == len(keys)
    assert list(tmp_path.iterdir()) == []


def test_grouping_keeps_the_first_facts_fills_gaps_and_the_worst_category(tmp_path: Path) -> None:
    data = content("same")
    first = file_record(0, "/a.jpg", data, sha1=None, pdq=None)
    second = file_record(1, "/b.jpg", data, allocated=False, mime="image/jpeg", pdq=b"\x01" * 32)
    with MediaGroups(tmp_path) as groups:
        groups.add(first, Category(2, 4, "set A 1"), ["set A 1 (known-bad)"])
        groups.add(second, Category(1, 5, "set B 2"), ["set B 2 (known-bad)", "set A 1 (known-bad)"])
        (group,) = list(groups.groups())
        assert (group.sha1, group.mime, group.pdq) == (second.sha1, "image/jpeg", b"\x01" * 32)
        assert (group.category, group.category_source) == (1, "set B 2")
        assert group.matches == ["set A 1 (known-bad)", "set B 2 (known-bad)"]
        assert first.md5 is not None
        assert [(f.name, f.deleted) for f in groups.files(first.md5)] == [("a.jpg", False), ("b.jpg", True)]


def test_us_category_translates_through_the_class() -> None:
    assert us_category([BY_DHS]) == Category(1, 5, "Legacy DHS set 7")
    assert us_category([BY_PDQ, BY_MD5]) == Category(1, 5, "Test CAM set 2026.1")
    assert us_category([KNOWN_GOOD]) is None
    assert us_category([replace(BY_MD5, category_class="uncategorized", severity=0)]) is None
