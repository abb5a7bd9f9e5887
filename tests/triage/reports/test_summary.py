"""summarise: the figures of a run, from its records."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tests.triage.reports.synthetic import (
    ALERT,
    BY_MD5,
    BY_PDQ,
    CAM,
    DHS,
    GOOD,
    KNOWN_GOOD,
    WATCH,
    content,
    file_record,
    synthetic_records,
)
from vigilant.triage.results import iter_records, summarise
from vigilant.triage.runinfo import RunSummary


def test_the_synthetic_run_adds_up(results_dir: Path) -> None:
    s = summarise(iter_records(results_dir))
    records = synthetic_records()
    assert s.files == len(records) == 20
    assert s.bytes == sum(r.size for r in records)
    assert (s.allocated, s.deleted) == (19, 1)
    assert s.archive_members == 4
    assert s.images == 6
    assert s.errors == 2  # one unreadable file, one archive whose listing failed
    assert s.encrypted == 1
    assert s.extension_mismatches == 1
    assert (s.known_bad, s.known_good, s.alert) == (5, 1, 1)
    assert s.pdq_only == 1
    assert s.by_class == {"abuse": 4, "exploitive": 1}
    assert s.by_set == {
        f"{CAM.name} {CAM.version}": 4,
        f"{DHS.name} {DHS.version}": 1,
        f"{GOOD.name} {GOOD.version}": 1,
        f"{WATCH.name} {WATCH.version}": 1,
    }


def test_no_records_no_figures() -> None:
    assert summarise(iter(())) == RunSummary()


def test_pdq_only_ignores_known_good_hits_and_needs_every_other_hit_perceptual() -> None:
    base = file_record(0, "/a.jpg", content("a"))
    pdq_and_good = replace(base, hits=[BY_PDQ, KNOWN_GOOD], known_bad=True, known_good=True)
    pdq_and_md5 = replace(base, position=1, hits=[BY_PDQ, BY_MD5], known_bad=True)
    good_only = replace(base, position=2, hits=[KNOWN_GOOD], known_good=True)
    s = summarise(iter([pdq_and_good, pdq_and_md5, good_only]))
    assert s.pdq_only == 1


def test_a_file_counts_once_per_set_and_class_only_when_known_bad() -> None:
    base = file_record(0, "/a.jpg", content("a"))
    twice = replace(base, hits=[BY_MD5, BY_PDQ], known_bad=True, top_class="abuse", top_severity=5)
    alert = replace(base, position=1, hits=[ALERT], alert=True, top_class=None)
    s = summarise(iter([twice, alert]))
    assert s.by_set == {f"{CAM.name} {CAM.version}": 1, f"{WATCH.name} {WATCH.version}": 1}
    assert s.by_class == {"abuse": 1}


def test_a_video_found_only_by_vpdq_counts_as_perceptual_only() -> None:
    base = file_record(0, "/clip.mp4", content("v"))
    by_vpdq = replace(
        BY_PDQ, matched_on="vpdq", distance=None, query_match_percent=92.0, compared_match_percent=60.0
    )
    video = replace(base, hits=[by_vpdq], known_bad=True)
    with_md5 = replace(base, position=1, hits=[by_vpdq, BY_MD5], known_bad=True)
    assert summarise(iter([video, with_md5])).pdq_only == 1
