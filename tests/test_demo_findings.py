"""The whole demo, run once into a temporary folder (no web server): the links it plants are found, and
every figure it prints for link analysis, review and the registry is what the services say when asked
again afterwards, from the demo's own database."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from vigilant.cli import run
from vigilant.demo.findings import LAPTOP_RUN, Findings
from vigilant.demo.links_demo import CAMERA, NEAR_DUPLICATE, SHARED_FILES
from vigilant.demo.operation import GENERATOR, OPERATION_CODE
from vigilant.demo.registry_demo import DAYCARE, DAYCARE_NUMBER, OFFICER, REGISTRANTS
from vigilant.demo.review_demo import EXAMINER
from vigilant.demo.run import run_demo
from vigilant.demo.users import demo_database_url, demo_key_file
from vigilant.links.builders import BUILDERS
from vigilant.links.distributors import key_distributors
from vigilant.links.freshness import GraphFreshness
from vigilant.links.models import LinkEdgeRow
from vigilant.links.network import operation_network
from vigilant.links.views import strongest
from vigilant.links.xref import list_proposals
from vigilant.registry.compliance import Status
from vigilant.registry.crosscheck import matches
from vigilant.registry.facilities import list_facilities
from vigilant.registry.rules import rule_set
from vigilant.registry.service import due
from vigilant.review.context import ReviewContext
from vigilant.review.outputs import figures
from vigilant.review.queue import stacks
from vigilant.review.scope import Scope
from vigilant.security.rights import Actor
from vigilant.security.secretbox import SecretBox
from vigilant.store import Database, open_database

ANALYST = Actor.cli("test", roles={"analyst"})


@dataclass
class Demo:
    root: Path
    printed: str
    findings: Findings
    db: Database

    def coordinator(self) -> Actor:
        agency = self.findings.links.planted.first.agency_id  # PPS holds the first accused's case
        return Actor.cli("test", agency_id=agency, roles={"coordinator"})


def _plain(text: str) -> str:
    return re.sub(r"\[/?[a-z ]*\]", "", text)  # Rich's markup, as the terminal does not show it


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    root = tmp_path_factory.mktemp("demo") / "demo-data"
    saved = {k: os.environ.get(k) for k in ("VIGILANT_DATA_DIR", "VIGILANT_DATABASE_URL")}
    out: list[str] = []
    try:
        findings = run_demo(root, run, lambda line: out.append(_plain(line)), serve=False)
    finally:
        for key, value in saved.items():  # run_demo points the environment at its folder
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    db = open_database(demo_database_url(root))
    yield Demo(root, "\n".join(out), findings, db)
    db.dispose()


def _lines(demo: Demo, title: str) -> list[str]:
    """The printed lines of the part whose heading contains ``title``, up to the next heading."""
    part = demo.printed.split(f"▶ {title}", 1)[1].split("▶ ", 1)[0]
    return [line for line in part.splitlines()[1:] if line.strip()]


# --- link analysis ----------------------------------------------------------------------------------------
def test_the_planted_device_links_are_found(demo: Demo) -> None:
    planted = demo.findings.links.planted
    keys = {f"item:{i}" for i in planted.items}
    kinds = ["same_camera", "shared_unknown_files", "near_duplicate_unknown"]
    view = strongest(demo.db, ANALYST, kinds=kinds, limit=100)
    by_handle = {e.handle: e.key for e in view.entities}
    between = {
        link.kind: link for link in view.links if {by_handle[link.source], by_handle[link.target]} == keys
    }
    assert set(between) == set(kinds)
    near = between["near_duplicate_unknown"].explanation
    assert near is not None  # the re-saved, smaller copy of one picture: same picture, other bytes
    assert json.dumps(near).count(NEAR_DUPLICATE[0]) == 1, near
    assert json.dumps(near).count(NEAR_DUPLICATE[1]) == 1, near
    camera, files = between["same_camera"].explanation, between["shared_unknown_files"].explanation
    assert camera is not None
    assert (camera["make"], camera["model"], camera["serial"]) == CAMERA
    assert files is not None
    assert files["files"] == SHARED_FILES
    assert all(f["name_a"].startswith("trade-") and f["name_b"].startswith("part-") for f in files["listed"])


def test_the_demo_graph_is_up_to_date(demo: Demo) -> None:
    """The demo builds its graph after its triage runs: the links pages must not call it stale."""
    assert GraphFreshness(demo.root / "data").stale(demo.db) == []


def test_xref_proposes_the_person_recorded_by_two_agencies(demo: Demo) -> None:
    planted = demo.findings.links.planted
    proposed = {
        frozenset({p.person.id, p.other.id})
        for p in list_proposals(demo.db, ANALYST, status="all")
        if p.other is not None
    }
    assert frozenset({planted.first.person_id, planted.duplicate_person_id}) in proposed
    printed = _lines(demo, "Link analysis")
    [xref_line] = [x for x in printed if x.startswith("Person xref:")]
    assert f"{len(proposed)} proposal(s)" in xref_line


def test_the_printed_link_counts_are_the_graph_the_build_stored(demo: Demo) -> None:
    printed = _lines(demo, "Link analysis")
    with demo.db.session() as s:
        query = select(LinkEdgeRow.builder, func.count()).group_by(LinkEdgeRow.builder)
        stored: dict[str, int] = dict(s.execute(query).all())
    built = demo.findings.links.build.links
    assert {k: v for k, v in built.items() if v} == stored
    kinds = ", ".join(f"{name} {built[name]}" for name in (b.name for b in BUILDERS))
    assert printed[0] == f"Links built: {sum(stored.values())} ({kinds})"


def test_the_printed_links_indicator_and_distributor_are_the_services(demo: Demo) -> None:
    printed = _lines(demo, "Link analysis")
    coordinator = demo.coordinator()
    top = strongest(demo.db, coordinator, limit=5)
    labels = {e.handle: e.label for e in top.entities}
    start = printed.index("Strongest links:") + 1
    shown = printed[start : start + len(top.links)]
    for line, link in zip(shown, top.links, strict=True):
        assert line.split()[:2] == [f"{link.weight:.2f}", f"{link.kind}:"]
        assert f"{labels[link.source]} — {labels[link.target]}" in line
    network = operation_network(demo.db, coordinator, OPERATION_CODE)
    assert f"  {network.explanation}" in printed
    assert (
        f"Organised network? {'yes' if network.suggests_network else 'no'}: {network.strongly_linked} of "
        f"{network.accused} accused strongly linked ({network.share:.0%})"
    ) in printed
    first, second = demo.findings.links.planted.first, demo.findings.links.planted.second
    assert any({p["a"], p["b"]} == {first.name, second.name} for p in network.pairs)  # the planted pair
    [top_distributor, *_] = key_distributors(demo.db, ANALYST, demo.root / "data" / "observations")
    assert f"Key distributor: {top_distributor.lead} — {top_distributor.explanation}" in printed
    assert top_distributor.persons == ()  # the swarm is on loopback: no person is recorded at its address
    assert any("no person is recorded at its address" in line for line in printed)


# --- review -----------------------------------------------------------------------------------------------
def test_the_laptop_pictures_are_stacked_and_the_statistics_are_the_services(demo: Demo) -> None:
    printed = _lines(demo, "Review")
    ctx = ReviewContext(demo.db, SecretBox.from_file(demo_key_file(demo.root)))
    scope = Scope(run_id=LAPTOP_RUN)
    found = stacks(ctx, EXAMINER, scope)
    sizes = sorted((x.size for x in found if x.size > 1), reverse=True)
    assert sizes == [3, 2]  # park.jpg with its small copy and mirror image; beach.jpg with its copy
    assert printed[0].startswith(f"Run {LAPTOP_RUN}: {sum(x.size for x in found)} pictures to review in "
                                 f"{len(found)} stacks")  # fmt: skip
    assert "DEMO decisions" in printed[1]
    assert sum(x.decided for x in found) == 5  # the two largest stacks, each decided whole
    stats = figures(ctx, EXAMINER, scope)
    assert stats.series == 2
    assert [f"  {line}" for line in stats.lines()] == printed[2 : 2 + len(list(stats.lines()))]


# --- registry ---------------------------------------------------------------------------------------------
def test_the_registry_summary_and_the_daycare_alert_are_the_services(demo: Demo) -> None:
    printed = _lines(demo, "The offender registry")
    as_of = demo.findings.registry.as_of
    found = due(demo.db, OFFICER, rules=rule_set("federal"), as_of=as_of, statuses=list(Status))
    assert len(found) == REGISTRANTS + 1  # the generated registry and the accused
    counts = {st: sum(1 for x in found if x.compliance.status is st) for st in Status}
    assert counts[Status.NON_COMPLIANT] > 0
    expected = f"{len(found)} registrants as of {as_of.isoformat()}: " + ", ".join(
        f"{n} {st.value.replace('_', ' ')}" for st, n in counts.items()
    )
    assert printed[0] == expected
    layer = list_facilities(demo.db, OFFICER)
    assert printed[1].startswith(f"{len(layer)} facilities")
    assert [f.name for f in layer if f.kind == "daycare"] == [DAYCARE]
    recorded = matches(demo.db, OFFICER)
    daycare = [m for m in recorded if m.kind == "employment" and m.basis.get("facility") == DAYCARE]
    employment = [m for m in recorded if m.kind == "employment"]
    assert f"Employment cross-check: {len(employment)} workplace(s)" in printed[2]
    [accused_job] = [m for m in daycare if m.registry_number == DAYCARE_NUMBER]
    assert accused_job.alert_id is not None
    for m in daycare:  # the accused's, and any generated registrant's that happens to be near it
        assert f"  {m.registry_number} works at {DAYCARE} ({m.basis['work']}) → alert {m.alert_id}" in printed
    accused = demo.findings.links.planted.first
    by_case = matches(demo.db, Actor.cli(GENERATOR), case_id=accused.case_id)
    assert [m.registry_number for m in by_case] == [DAYCARE_NUMBER]
    assert any(accused.name in line and DAYCARE_NUMBER in line for line in printed)
