"""Building the entity graph from real triage runs and case records, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from tests.links.world import LAB, SETTINGS, Planted, planted
from vigilant.cases.links import link_identifier
from vigilant.links.models import LinkEdgeRow, LinkEntityRow
from vigilant.links.service import build_all, rebuild_for_case, rebuild_for_run
from vigilant.links.xref_models import XrefJudgementRow
from vigilant.store import Database
from vigilant.store.models import utcnow
from vigilant.triage.runner import Progress

Graph = set[tuple[str, str, str, float, str]]


def graph(db: Database) -> Graph:
    """The stored graph by natural keys: (kind, one end, other end, weight, explanation)."""
    a, b = aliased(LinkEntityRow), aliased(LinkEntityRow)
    with db.session() as s:
        rows = s.execute(
            select(
                LinkEdgeRow.kind, a.kind, a.key, b.kind, b.key, LinkEdgeRow.weight, LinkEdgeRow.explanation
            )
            .join(a, a.id == LinkEdgeRow.source_id)
            .join(b, b.id == LinkEdgeRow.target_id)
        ).all()
    out: Graph = set()
    for kind, ak, akey, bk, bkey, weight, explanation in rows:
        ends = sorted([f"{ak}/{akey}", f"{bk}/{bkey}"])
        out.add((kind, ends[0], ends[1], round(weight, 6), repr(sorted(explanation.items()))))
    return out


def links_of(g: Graph, kind: str) -> list[tuple[str, str, str, float, str]]:
    return sorted(x for x in g if x[0] == kind)


def build(p: Planted) -> Any:
    return build_all(p.db, p.pp, p.data / "observations")


def test_planted_links_are_found_and_nothing_else(db: Database, tmp_path: Path) -> None:
    p = planted(db, tmp_path)
    report = build(p)
    g = graph(db)
    item = {n: f"device/item:{i}" for n, i in p.items.items()}
    unknown = links_of(g, "shared_unknown_files")
    assert [(x[1], x[2]) for x in unknown] == [tuple(sorted((item["A"], item["B"])))]
    assert "rare.bin" in unknown[0][4]
    assert "copy-of-rare.bin" in unknown[0][4]
    assert "common.txt" not in unknown[0][4]  # on every device: never links
    bad = links_of(g, "shared_known_bad_files")
    assert [(x[1], x[2]) for x in bad] == [tuple(sorted((item["A"], item["C"])))]
    assert not any("readme.txt" in x[4] for x in g)  # known-good never links
    (near,) = links_of(g, "near_duplicate_unknown")
    assert (near[1], near[2]) == tuple(sorted((item["A"], item["B"])))
    assert "holiday-small.jpg" in near[4]
    assert not links_of(g, "near_duplicate_known_bad")  # known.jpg is the same bytes: a shared file
    camera = links_of(g, "same_camera")
    assert [(x[1], x[2]) for x in camera] == [tuple(sorted((item["B"], item["C"])))]
    assert "CAM-778899" in camera[0][4]
    assert not any("OTHER-1" in x[4] for x in g)
    same = links_of(g, "same_identifier")
    pairs = {(x[1], x[2]): x for x in same}
    person = {n: f"person/person:{i}" for n, i in p.persons.items()}
    email = pairs[min(person["A"], person["C"]), max(person["A"], person["C"])]
    admin = pairs[min(person["A"], person["B"]), max(person["A"], person["B"])]
    assert email[3] == 1.0
    assert admin[3] < 0.1
    assert report.links["records"] > 0
    assert report.total == len(g)


def test_an_incremental_rebuild_gives_the_graph_of_a_full_build(db: Database, tmp_path: Path) -> None:
    p = planted(db, tmp_path)
    build(p)
    before = graph(db)
    # A phone recorded on Bob and on Carol, then a fourth device holding rare.bin and B's own file: each hook
    # rebuilds. rare.bin is then on 3 of 4 devices, more than the share allows, and stops linking A and B.
    link_identifier(db, p.bps, p.cases["B"], "phone", "+1 613 555 0101", person_id=p.persons["B"])
    link_identifier(db, p.hrp, p.cases["C"], "phone", "613-555-0101", person_id=p.persons["C"])
    rebuild_for_case(db, p.cases["C"], p.data / "observations")
    folder = tmp_path / "later"
    folder.mkdir()
    seized = tmp_path / "folders"
    (folder / "rare-again.bin").write_bytes((seized / "seized-A" / "rare.bin").read_bytes())
    (folder / "from-b.bin").write_bytes((seized / "seized-B" / "own-B.bin").read_bytes())
    item = p.triage.evidence.add(folder, actor=LAB, label="laptop D", case_number="A-1", agency="PP")
    run = p.triage.start(item.id, SETTINGS, LAB, Progress())
    rebuild_for_run(db, run, p.data / "observations")
    incremental = graph(db)
    unknown = links_of(incremental, "shared_unknown_files")
    assert [(x[1], x[2]) for x in unknown] == [(f"device/item:{p.items['B']}", f"device/item:{item.id}")]
    assert "own-B.bin" in unknown[0][4]
    assert "rare" not in unknown[0][4]
    assert len(links_of(incremental, "same_identifier")) == len(links_of(before, "same_identifier")) + 1
    build(p)
    assert graph(db) == incremental


def test_persons_confirmed_the_same_are_linked_until_a_later_judgement_says_otherwise(
    db: Database, tmp_path: Path
) -> None:
    p = planted(db, tmp_path)
    a, c = sorted((p.persons["A"], p.persons["C"]))

    def judge(verdict: str) -> None:
        with db.session() as s:
            s.add(
                XrefJudgementRow(
                    person_a_id=a,
                    person_b_id=c,
                    verdict=verdict,
                    reason=f"judged {verdict}",
                    fingerprint="0" * 64,
                    judged_by="analyst",
                    judged_at=utcnow(),
                )
            )
        rebuild_for_case(db, p.cases["A"], p.data / "observations")

    judge("same")
    (same,) = links_of(graph(db), "same_person")
    assert (same[1], same[2]) == (f"person/person:{a}", f"person/person:{c}")
    assert "judged same" in same[4]
    judge("not_same")
    assert links_of(graph(db), "same_person") == []
