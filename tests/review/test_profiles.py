"""Category profiles in review: Project VIC US 0-4, legacy DHS 0-5, UK CAID A/B/C (see section 3 of
shared/reference/formats.md). Each profile's keys are its codes; a run keeps the profile of its first
decision; the VICS export writes the profile's codes under its region and Vigilant's importer reads them
back; a promoted set keeps its profile."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.review.scenario import LAB, Scenario, build
from vigilant.errors import BadInputError
from vigilant.library.importer import ImportRequest, NothingImportedError, import_hash_set
from vigilant.library.store import LibraryStore
from vigilant.review.decisions import Decision, decide, undo
from vigilant.review.outputs import export_vics, promote
from vigilant.review.profiles import REVIEW_PROFILES, review_profile, run_profile
from vigilant.review.queue import QueueFilter, queue, sync
from vigilant.review.scope import Scope
from vigilant.security.rights import Actor
from vigilant.store import Database
from vigilant.triage.runner import Progress
from vigilant.triage.settings import TriageSettings

# profile -> (its keys, the VICS region its exports name, codes decided for a.jpg's stack, b.jpg, c.png)
PROFILES = {
    "vic-us": (("0", "1", "2", "3", "4"), "US", ("1", "2", "4")),
    "dhs": (("0", "1", "2", "3", "4", "5"), "CUSTOM", ("1", "5", "0")),
    "caid-uk": (("A", "B", "C"), "UK", ("A", "C", "B")),
}


def _items(sc: Scenario, run_id: int | None = None) -> dict[str, int]:
    scope = Scope(run_id=run_id or sc.run_id)
    page = queue(sc.ctx, sc.examiner, scope, QueueFilter(stacks_only=False, status="all"))
    return {r.item.name: r.item.id for r in page.rows}


def _codes(store: LibraryStore, set_id: int) -> list[str]:
    return sorted(e.category or "" for e in store.iter_entries([set_id]))


def test_each_profile_keys_are_its_codes() -> None:
    assert set(REVIEW_PROFILES) == set(PROFILES)
    for name, (keys, region, _) in PROFILES.items():
        profile = review_profile(name)
        assert (profile.keys, profile.region) == (keys, region)
    assert review_profile("dhs").categories.get("5") is not None
    assert review_profile("dhs").categories.get("0").label == "Uncategorized"  # type: ignore[union-attr]
    assert review_profile("vic-us").categories.get("0").label == "Non-Pertinent"  # type: ignore[union-attr]
    with pytest.raises(BadInputError, match="not a review profile"):
        review_profile("none")


@pytest.mark.parametrize("name", list(PROFILES))
def test_the_export_writes_the_profile_codes_and_reads_back(name: str, db: Database, tmp_path: Path) -> None:
    _keys, region, (stack_code, b_code, c_code) = PROFILES[name]
    sc = build(db, tmp_path)
    sync(sc.ctx, sc.examiner, sc.run_id)
    items = _items(sc)
    # A key outside the profile is refused with the profile's keys named.
    outside = "5" if name == "vic-us" else ("A" if name == "dhs" else "1")
    with pytest.raises(BadInputError, match="not defined by profile"):
        decide(sc.ctx, sc.examiner, items["a.jpg"], Decision(outside, profile=name))
    assert run_profile(db, sc.run_id) is None
    decide(sc.ctx, sc.examiner, items["a.jpg"], Decision(stack_code.lower(), profile=name), whole_stack=True)
    chosen = run_profile(db, sc.run_id)
    assert chosen is not None
    assert chosen.name == name
    # Later decisions keep the run's profile without naming it.
    decide(sc.ctx, sc.examiner, items["b.jpg"], Decision(b_code))
    decide(sc.ctx, sc.examiner, items["c.png"], Decision(c_code))

    out = io.BytesIO()
    assert export_vics(sc.ctx, sc.examiner, Scope(run_id=sc.run_id), out) == 4
    data = json.loads(out.getvalue())
    assert f"/2.0.xml/{region}/" in data["@odata.context"]
    assert sorted(str(m["Category"]) for m in data["value"]) == sorted([stack_code] * 2 + [b_code, c_code])

    path = tmp_path / "review.json"
    path.write_bytes(out.getvalue())
    store = LibraryStore(db)
    # A DHS file cannot say so (no VICS region names that scheme): its importer is told the profile.
    request = ImportRequest(
        path, actor=Actor.cli("t"), name=f"back-{name}", profile="dhs" if name == "dhs" else None
    )
    report = import_hash_set(store, request)
    assert report.hash_set is not None
    assert report.hash_set.profile == name
    assert report.rows_taken == 4
    assert _codes(store, report.hash_set.id) == sorted([stack_code] * 2 + [b_code, c_code])


def test_a_dhs_export_is_not_taken_as_us_codes(db: Database, tmp_path: Path) -> None:
    sc = build(db, tmp_path)
    sync(sc.ctx, sc.examiner, sc.run_id)
    decide(sc.ctx, sc.examiner, _items(sc)["c.png"], Decision("5", profile="dhs"))  # DHS 5: Non-pertinent
    path = tmp_path / "dhs.json"
    with path.open("wb") as fh:
        export_vics(sc.ctx, sc.examiner, Scope(run_id=sc.run_id), fh)
    with pytest.raises(NothingImportedError, match="bad-category"):
        import_hash_set(LibraryStore(db), ImportRequest(path, actor=Actor.cli("t"), name="unnamed profile"))
    # Asked for US codes, the same decision is carried over by its meaning: DHS 5 is US 0.
    out = io.BytesIO()
    export_vics(sc.ctx, sc.examiner, Scope(run_id=sc.run_id), out, profile="vic-us")
    assert [m["Category"] for m in json.loads(out.getvalue())["value"]] == [0]


def test_a_run_keeps_one_profile_and_a_case_of_two_needs_one_named(db: Database, tmp_path: Path) -> None:
    sc = build(db, tmp_path)
    sync(sc.ctx, sc.examiner, sc.run_id)
    items = _items(sc)
    decide(sc.ctx, sc.examiner, items["b.jpg"], Decision("2", profile="dhs"))
    with pytest.raises(BadInputError, match="categorised in profile dhs"):
        decide(sc.ctx, sc.examiner, items["c.png"], Decision("B", profile="caid-uk"))
    undo(sc.ctx, sc.examiner)
    decide(sc.ctx, sc.examiner, items["c.png"], Decision("B", profile="caid-uk"))  # free again after undo

    # A second run of the same evidence, reviewed in US codes: the case now holds two profiles.
    rerun = sc.triage.start(sc.evidence_id, TriageSettings(processes=0, threads=1), LAB, Progress())
    sync(sc.ctx, sc.examiner, rerun)
    decide(sc.ctx, sc.examiner, _items(sc, rerun)["b.jpg"], Decision("1", profile="vic-us"))
    case = Scope(case_number="OP-OWN-1")
    with pytest.raises(BadInputError, match="caid-uk, vic-us"):
        export_vics(sc.ctx, sc.examiner, case, io.BytesIO())
    out = io.BytesIO()
    export_vics(sc.ctx, sc.examiner, case, out, profile="vic-us")
    assert sorted(m["Category"] for m in json.loads(out.getvalue())["value"]) == [1, 1]  # CAID B: abuse


def test_a_promoted_set_keeps_its_profile(db: Database, tmp_path: Path) -> None:
    sc = build(db, tmp_path)
    sync(sc.ctx, sc.examiner, sc.run_id)
    decide(sc.ctx, sc.examiner, _items(sc)["a.jpg"], Decision("1", profile="dhs"), whole_stack=True)
    scope = Scope(run_id=sc.run_id)
    report = promote(sc.ctx, sc.examiner, scope, name="Reviewed DHS")
    assert report.hash_set is not None
    assert report.hash_set.profile == "dhs"
    assert report.rows_taken == 2
    with pytest.raises(BadInputError, match="holds dhs codes"):
        promote(sc.ctx, sc.examiner, scope, name="Reviewed DHS", profile="vic-us")
    us = promote(sc.ctx, sc.examiner, scope, name="Reviewed US", profile="vic-us")
    assert us.hash_set is not None
    assert us.hash_set.profile == "vic-us"
    assert _codes(LibraryStore(db), us.hash_set.id) == ["1", "1"]  # DHS 1 Illegal is US 1
