"""The service matrix: every public service method that takes the caller × every role × own / other agency.

Beside the route matrix (tests/web/test_matrix.py), this one calls the services directly, the way the CLI
and the web both do, so neither face can let through what the other refuses. Expectations come from the
role table (``vigilant.security.rights.PERMISSIONS``) and one rule per method below:

- a role without the method's permission is refused (``PermissionDenied``), whatever the record;
- a caller of another agency gets "not found" for a record of this agency (never "denied", which would
  confirm it exists), and an empty list from a listing;
- otherwise the call goes through: it may still be refused for a reason of the record itself (a run not
  finished yet, a step the law does not allow), which is no matter of rights.

A method that takes an ``actor`` but has no rule here fails the completeness test, so a new one cannot ship
without one.
"""

from __future__ import annotations

import dataclasses
import inspect
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from vigilant.cases import (
    agencies,
    breakdown,
    evidence_links,
    figures,
    links,
    operation_view,
    operations,
    people,
    person_search,
    process,
    records,
    release,
)
from vigilant.cases import service as cases
from vigilant.cases.agencies import add_agency
from vigilant.cases.evidence_rules import evidence_service
from vigilant.cases.models import Distribution, PersonRole, ProcessKind
from vigilant.cases.process import DeviceSeized
from vigilant.cases.service import open_case
from vigilant.errors import NotFoundError, VigilantError
from vigilant.evidence.service import EvidenceService
from vigilant.leads import access as lead_access
from vigilant.leads import package
from vigilant.leads import service as leads
from vigilant.leads.aggregate import Window
from vigilant.leads.lifecycle import Status
from vigilant.leads.models import LeadRow
from vigilant.library import importer
from vigilant.library.importer import ImportRequest
from vigilant.library.records import SetKind
from vigilant.library.service import LibraryService
from vigilant.library.store import LibraryStore
from vigilant.security.errors import PermissionDenied
from vigilant.security.rights import PERMISSIONS, Actor, Permission, Role
from vigilant.store import Database
from vigilant.triage import access as triage_access
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings

P = Permission
NOW = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
DAY = date(2026, 5, 4)
SETTINGS = TriageSettings(processes=0, threads=1, pdq=False, exif=False)

# Services whose methods take the caller; a method listed in EXEMPT says why it has no row.
SERVICE_CLASSES = (EvidenceService, TriageService, LibraryService)
SERVICE_MODULES: tuple[ModuleType, ...] = (
    *(agencies, operations, cases, people, records, links, person_search),
    *(operation_view, figures, breakdown, release),
    *(process, evidence_links),
    importer,
    *(leads, lead_access, package, triage_access),
)
EXEMPT = {
    "vigilant.cases.service.load_case": "the visibility rule on one case, inside the methods below",
    "vigilant.cases.operations.operation_by_ref": "the visibility rule on one operation, inside the methods",
    "vigilant.cases.people.load_person": "the visibility rule on one person, inside the methods below",
    "vigilant.cases.release.clear_flag": "needs a release with a flag to clear: tests/cases/test_release.py",
    "vigilant.cases.release.coordinates": "whether the caller's agency coordinates: a yes or no for a page",
    "EvidenceService.record": "writes a custody event for a service that checked its caller (start, report)",
    "EvidenceService.unlock_recorder": "writes custody events for a walk whose service checked its caller",
    "EvidenceService.verify_from_records": "a run's own re-verification, inside TriageService.work",
    "EvidenceService.verify_item": "a run's verification of the item it read, inside TriageService.work",
    "EvidenceService.verify_from_image_pass": "a run's re-verification of its image, in TriageService.work",
    "vigilant.leads.service.lead_visible": "the visibility rule itself (a WHERE clause)",
    "vigilant.leads.service.visible_lead": "the visibility rule on one lead, inside the methods below",
    "vigilant.triage.access.evidence_visible": "the visibility rule itself (a WHERE clause)",
    "vigilant.triage.access.seized_in_for": "the case numbers of items the caller has read (a run's page)",
}


@dataclass
class World:
    db: Database
    own: int  # the agency whose records the matrix reads and changes
    other: int
    case: int  # an agency_only case of the own agency
    operation: int  # an operation the own agency coordinates, the other takes no part in
    person: int  # a suspect in the own case
    item: int  # an evidence item of the own agency's case
    run: int  # a queued triage run of it
    lead: int  # a lead routed and assigned to the own agency
    folder: Path
    tmp: Path
    created: Iterator[int]  # numbers for the folders that add() registers, one per call
    extras: dict[str, int] = field(default_factory=dict)  # records a few rules need, made on first use


@dataclass(frozen=True)
class Rule:
    permission: Permission
    call: Callable[[World, Actor], Any]
    listing: bool = False  # another agency's caller gets an empty answer instead of "not found"
    creates: bool = False  # makes a new record: another agency's caller goes through as well
    shared: bool = False  # every agency's (the library): another agency's caller goes through as well
    # `vigilant cases` acts for an agency (--agency, --role coordinator by default): a case belongs to one.
    cli_member: bool = False


def _new_folder(w: World) -> Path:
    folder = w.tmp / f"added-{next(w.created)}"
    folder.mkdir()
    (folder / "notes.txt").write_text("synthetic\n")
    return folder


def _add_role(w: World, a: Actor) -> str:
    people.add_role(w.db, a, w.case, w.person, PersonRole.WITNESS)
    return "added"


def _triage(w: World) -> TriageService:
    return TriageService(w.db, w.tmp / "data")


def _once(w: World, key: str, make: Callable[[], int]) -> int:
    if key not in w.extras:
        w.extras[key] = make()
    return w.extras[key]


def _owner(w: World) -> Actor:
    return Actor.cli("matrix", agency_id=w.own, roles={Role.COORDINATOR})


def _third(w: World) -> Actor:
    """A coordinator of a third agency: the other side of an evidence link, made on first use so that no
    listing of the other rules sees its records."""

    def make() -> int:
        admin = Actor.cli("matrix-admin")
        return add_agency(w.db, admin, name="THIRD Police", short_name="THIRD", province="ON").id

    return Actor.cli("matrix-third", agency_id=_once(w, "third", make), roles={Role.COORDINATOR})


def _item_of(w: World, by: Actor, number: str) -> int:
    """An evidence item of a case of ``by``'s agency that every agency may see."""
    open_case(w.db, by, number=number, title="t", distribution=Distribution.ALL_AGENCIES)
    lab = Actor.cli("matrix-lab")  # registers items; a coordinator may not
    return evidence_service(w.db).add(_new_folder(w), actor=lab, case_number=number, agency=by.agency_id).id


def _seized_device(w: World, by: Actor, case_id: int) -> int:
    seizure = process.record_seizure(
        w.db, by, case_id, seized_at=NOW, where="home", by="PC 1", devices=[DeviceSeized("laptop")]
    )
    return seizure.devices[0].id


def _legal_process(w: World) -> int:
    def make() -> int:
        warrant = process.add_legal_process(
            w.db, _owner(w), w.case, kind=ProcessKind.SEARCH_WARRANT, target="home", issued_at=NOW,
            issued_by_court="Ontario Court of Justice", issued_by_judge="J. Doe",
        )  # fmt: skip
        return warrant.id

    return _once(w, "process", make)


def _request_link(w: World, a: Actor) -> evidence_links.LinkRequest:
    """The own case asks for a third agency's item, to link it to a device the own case seized."""
    device = _once(w, "device", lambda: _seized_device(w, _owner(w), w.case))
    item = _once(w, "foreign item", lambda: _item_of(w, _third(w), "THIRD-1"))
    return evidence_links.request_link(w.db, a, w.case, device, item, reason="seized jointly")


def _asked(w: World, key: str, *, granted: bool = False) -> int:
    """A request of the third agency for an item the own agency owns: the own agency decides it."""

    def make() -> int:
        third = _third(w)
        case = _once(w, "third case", lambda: open_case(w.db, third, number="THIRD-2", title="t").id)
        item = _item_of(w, _owner(w), f"OWN-{key}")
        device = _seized_device(w, third, case)
        asked = evidence_links.request_link(w.db, third, case, device, item, reason="seized jointly").id
        if granted:
            evidence_links.decide_link(w.db, _owner(w), asked, "grant", reason="joint warrant")
        return asked

    return _once(w, key, make)


def _library(w: World) -> LibraryService:
    return LibraryService(LibraryStore(w.db), w.tmp / "indexes")


def _sums(w: World) -> ImportRequest:
    """A request to import a one-line md5sum list of known material (the digest of a synthetic text)."""
    path = w.tmp / "known.md5"
    if not path.exists():
        path.write_text("0123456789abcdef0123456789abcdef  known.jpg\n")
    return ImportRequest(
        path, actor=Actor.cli("matrix-lab"), name="Known", version="1", kind=SetKind.KNOWN_BAD
    )


def _hash_set(w: World) -> int:
    def make() -> int:
        report = importer.import_hash_set(LibraryStore(w.db), _sums(w))
        assert report.hash_set is not None
        return report.hash_set.id

    return _once(w, "hash set", make)


RULES: dict[str, Rule] = {
    # Agencies and operations.
    "vigilant.cases.agencies.add_agency": Rule(
        P.AGENCIES_MANAGE,
        lambda w, a: add_agency(w.db, a, name="New", short_name=f"N{next(w.created)}", province="ON"),
        creates=True,
    ),
    "vigilant.cases.agencies.add_sharing_group": Rule(
        P.AGENCIES_MANAGE,
        lambda w, a: agencies.add_sharing_group(w.db, a, name=f"G{next(w.created)}", agencies=[w.own]),
        creates=True,
    ),
    "vigilant.cases.operations.add_operation": Rule(
        P.OPERATIONS_MANAGE,
        lambda w, a: operations.add_operation(w.db, a, code=f"OP-{next(w.created)}", name="o", starts_on=DAY),
        creates=True,
        cli_member=True,
    ),
    "vigilant.cases.operations.get_operation": Rule(
        P.OPERATIONS_READ, lambda w, a: operations.get_operation(w.db, a, w.operation), cli_member=True
    ),
    "vigilant.cases.operations.list_operations": Rule(
        P.OPERATIONS_READ, lambda w, a: operations.list_operations(w.db, a), listing=True, cli_member=True
    ),
    "vigilant.cases.operations.add_participants": Rule(
        P.OPERATIONS_MANAGE,
        lambda w, a: operations.add_participants(w.db, a, w.operation, [w.own]),
        cli_member=True,
    ),
    # Persons, the case file, identifiers, operations' views and figures, the release.
    "vigilant.cases.people.add_person": Rule(
        P.PERSONS_WRITE,
        lambda w, a: people.add_person(
            w.db, a, w.case, given_names="C", surname="D", role=PersonRole.WITNESS
        ),
        cli_member=True,
    ),
    "vigilant.cases.people.add_role": Rule(
        P.PERSONS_WRITE,
        _add_role,
        cli_member=True,
    ),
    "vigilant.cases.people.get_person": Rule(
        P.PERSONS_READ, lambda w, a: people.get_person(w.db, a, w.person), cli_member=True
    ),
    "vigilant.cases.people.persons_in_case": Rule(
        P.PERSONS_READ, lambda w, a: people.persons_in_case(w.db, a, w.case), cli_member=True
    ),
    "vigilant.cases.people.record_ban": Rule(
        P.PERSONS_WRITE,
        lambda w, a: people.record_ban(w.db, a, w.case, w.person, authority="s. 486.4") or "done",
        cli_member=True,
    ),
    "vigilant.cases.people.record_victim": Rule(
        P.PERSONS_WRITE,
        lambda w, a: people.record_victim(w.db, a, w.case, w.person) or "done",
        cli_member=True,
    ),
    "vigilant.cases.records.case_file": Rule(
        P.CASES_READ, lambda w, a: records.case_file(w.db, a, w.case), cli_member=True
    ),
    "vigilant.cases.records.charges_in_case": Rule(
        P.LEGAL_READ, lambda w, a: records.charges_in_case(w.db, a, w.case) or "none yet", cli_member=True
    ),
    "vigilant.cases.records.legal_process_in_case": Rule(
        P.LEGAL_READ, lambda w, a: records.legal_process_in_case(w.db, a, w.case) or "none", cli_member=True
    ),
    "vigilant.cases.records.person_file": Rule(
        P.PERSONS_READ, lambda w, a: records.person_file(w.db, a, w.person), cli_member=True
    ),
    "vigilant.cases.links.link_identifier": Rule(
        P.PERSONS_WRITE,
        lambda w, a: links.link_identifier(w.db, a, w.case, "email", "d@example.org", person_id=w.person),
        cli_member=True,
    ),
    "vigilant.cases.links.where_seen": Rule(
        P.CASES_READ,
        lambda w, a: links.where_seen(w.db, a, "email", "a@example.org"),
        listing=True,
        cli_member=True,
    ),
    "vigilant.cases.person_search.search_persons": Rule(
        P.PERSONS_READ, lambda w, a: person_search.search_persons(w.db, a), listing=True, cli_member=True
    ),
    "vigilant.cases.operation_view.operation_detail": Rule(
        P.OPERATIONS_READ, lambda w, a: operation_view.operation_detail(w.db, a, w.operation), cli_member=True
    ),
    "vigilant.cases.operation_view.operation_summaries": Rule(
        P.OPERATIONS_READ,
        lambda w, a: operation_view.operation_summaries(w.db, a),
        listing=True,
        cli_member=True,
    ),
    "vigilant.cases.figures.operation_figures": Rule(
        P.OPERATIONS_READ, lambda w, a: figures.operation_figures(w.db, a, w.operation), cli_member=True
    ),
    "vigilant.cases.breakdown.operation_breakdown": Rule(
        P.OPERATIONS_READ, lambda w, a: breakdown.operation_breakdown(w.db, a, w.operation), cli_member=True
    ),
    "vigilant.cases.release.build_release": Rule(
        P.RELEASE_PREVIEW, lambda w, a: release.build_release(w.db, a, w.operation), cli_member=True
    ),
    # Cases.
    "vigilant.cases.service.open_case": Rule(
        P.CASES_WRITE,
        lambda w, a: open_case(w.db, a, number=f"N-{next(w.created)}", title="t"),
        creates=True,
        cli_member=True,
    ),
    "vigilant.cases.service.get_case": Rule(
        P.CASES_READ, lambda w, a: cases.get_case(w.db, a, w.case), cli_member=True
    ),
    "vigilant.cases.service.find_case": Rule(
        P.CASES_READ, lambda w, a: cases.find_case(w.db, a, "OWN-1", agency_id=w.own), cli_member=True
    ),
    "vigilant.cases.service.list_cases": Rule(
        P.CASES_READ, lambda w, a: cases.list_cases(w.db, a), listing=True
    ),
    "vigilant.cases.service.update_case": Rule(
        P.CASES_WRITE, lambda w, a: cases.update_case(w.db, a, w.case, title="renamed"), cli_member=True
    ),
    # Legal process, seizures, arrests and charges.
    "vigilant.cases.process.add_legal_process": Rule(
        P.LEGAL_WRITE,
        lambda w, a: process.add_legal_process(
            w.db,
            a,
            w.case,
            kind=ProcessKind.PRODUCTION_ORDER,
            target="ISP",
            issued_at=NOW,
            issued_by_court="Ontario Court of Justice",
            issued_by_judge="J. Doe",
        ),
        cli_member=True,
    ),
    "vigilant.cases.process.record_execution": Rule(
        P.LEGAL_WRITE,
        lambda w, a: process.record_execution(
            w.db, a, _legal_process(w), executed_at=NOW, where="home", by="PC 1"
        ),
        cli_member=True,
    ),
    "vigilant.cases.process.record_seizure": Rule(
        P.LEGAL_WRITE,
        lambda w, a: process.record_seizure(
            w.db, a, w.case, seized_at=NOW, where="home", by="PC 1", devices=[DeviceSeized("phone")]
        ),
        cli_member=True,
    ),
    "vigilant.cases.process.record_arrest": Rule(
        P.LEGAL_WRITE,
        lambda w, a: process.record_arrest(w.db, a, w.case, w.person, arrested_at=NOW, where=None, by="PC 1"),
        cli_member=True,
    ),
    "vigilant.cases.process.lay_charge": Rule(
        P.LEGAL_WRITE,
        lambda w, a: process.lay_charge(
            w.db, a, w.case, w.person, offence_code="163.1(4)", offence_from=DAY, laid_on=DAY
        ),
        cli_member=True,
    ),
    # Another agency's evidence item in a case: the request, and the owner's decision.
    "vigilant.cases.evidence_links.request_link": Rule(P.LEGAL_WRITE, _request_link, cli_member=True),
    "vigilant.cases.evidence_links.decide_link": Rule(
        P.CASES_WRITE,
        lambda w, a: evidence_links.decide_link(w.db, a, _asked(w, "pending"), "refuse", reason="no"),
        cli_member=True,
    ),
    "vigilant.cases.evidence_links.revoke_link": Rule(
        P.CASES_WRITE,
        lambda w, a: evidence_links.revoke_link(w.db, a, _asked(w, "granted", granted=True), reason="over"),
        cli_member=True,
    ),
    "vigilant.cases.evidence_links.link_requests": Rule(
        P.CASES_READ,
        lambda w, a: _asked(w, "pending") and evidence_links.link_requests(w.db, a),
        listing=True,
        cli_member=True,
    ),
    # The library of known material: one for every agency.
    "vigilant.library.importer.import_hash_set": Rule(
        P.LIBRARY_IMPORT,
        lambda w, a: importer.import_hash_set(LibraryStore(w.db), dataclasses.replace(_sums(w), actor=a)),
        shared=True,
    ),
    "LibraryService.sets_for": Rule(
        P.LIBRARY_READ, lambda w, a: _hash_set(w) and _library(w).sets_for(a), shared=True
    ),
    "LibraryService.set_for": Rule(
        P.LIBRARY_READ, lambda w, a: _library(w).set_for(a, _hash_set(w)), shared=True
    ),
    "LibraryService.lookup_for": Rule(
        P.LIBRARY_READ,
        lambda w, a: _library(w).lookup_for(a, ["0123456789abcdef0123456789abcdef"]),
        shared=True,
    ),
    # Evidence items and their custody.
    "EvidenceService.add": Rule(
        P.EVIDENCE_WRITE, lambda w, a: evidence_service(w.db).add(_new_folder(w), actor=a), creates=True
    ),
    "EvidenceService.get": Rule(P.EVIDENCE_READ, lambda w, a: evidence_service(w.db).get(w.item, a)),
    "EvidenceService.items": Rule(
        P.EVIDENCE_READ, lambda w, a: evidence_service(w.db).items(a), listing=True
    ),
    "EvidenceService.agencies": Rule(
        P.EVIDENCE_READ, lambda w, a: evidence_service(w.db).agencies(a), listing=True
    ),
    "EvidenceService.custody": Rule(P.EVIDENCE_READ, lambda w, a: evidence_service(w.db).custody(w.item, a)),
    "EvidenceService.set_agency": Rule(
        P.EVIDENCE_WRITE, lambda w, a: evidence_service(w.db).set_agency(w.item, w.own, a)
    ),
    "EvidenceService.verify": Rule(P.EVIDENCE_WRITE, lambda w, a: evidence_service(w.db).verify(w.item, a)),
    # Triage runs.
    "TriageService.create": Rule(P.TRIAGE_RUN, lambda w, a: _triage(w).create(w.item, SETTINGS, a)),
    "TriageService.start": Rule(P.TRIAGE_RUN, lambda w, a: _triage(w).start(w.item, SETTINGS, a, Progress())),
    "TriageService.resume": Rule(P.TRIAGE_RUN, lambda w, a: _triage(w).resume(w.run, a, Progress())),
    "TriageService.work": Rule(P.TRIAGE_RUN, lambda w, a: _triage(w).work(w.run, a, Progress())),
    "TriageService.control": Rule(P.TRIAGE_RUN, lambda w, a: _triage(w).control(w.run, "pause", a)),
    "TriageService.status": Rule(P.TRIAGE_READ, lambda w, a: _triage(w).status(w.run, a)),
    "TriageService.runs": Rule(P.TRIAGE_READ, lambda w, a: _triage(w).runs(a), listing=True),
    "TriageService.run_info": Rule(P.TRIAGE_READ, lambda w, a: _triage(w).run_info(w.run, a)),
    "TriageService.report": Rule(P.TRIAGE_READ, lambda w, a: _triage(w).report(w.run, "csv", BytesIO(), a)),
    "vigilant.triage.access.list_evidence_for": Rule(
        P.EVIDENCE_READ, lambda w, a: triage_access.list_evidence_for(w.db, a).items, listing=True
    ),
    "vigilant.triage.access.list_runs_for": Rule(
        P.TRIAGE_READ, lambda w, a: triage_access.list_runs_for(w.db, a).items, listing=True
    ),
    "vigilant.triage.access.get_run_for": Rule(
        P.TRIAGE_READ, lambda w, a: triage_access.get_run_for(w.db, a, w.run)
    ),
    # Leads.
    "vigilant.leads.service.build_leads": Rule(
        P.LEADS_ASSIGN,
        lambda w, a: leads.build_leads(w.db, w.tmp / "no-observations", Window(NOW), actor=a, now=NOW),
        creates=True,
    ),
    "vigilant.leads.service.assign": Rule(
        P.LEADS_ASSIGN, lambda w, a: leads.assign(w.db, w.lead, w.own, actor=a, at=NOW)
    ),
    "vigilant.leads.service.advance": Rule(
        P.LEGAL_WRITE, lambda w, a: leads.advance(w.db, w.lead, Status.CLOSED, actor=a, at=NOW, note="t")
    ),
    "vigilant.leads.service.claim_lead": Rule(
        P.LEADS_ASSIGN,
        lambda w, a: leads.claim_lead(w.db, str(w.lead), b"s" * 32, agency="OWN", actor=a, at=NOW),
    ),
    "vigilant.leads.access.list_leads_for": Rule(
        P.LEADS_READ, lambda w, a: lead_access.list_leads_for(w.db, a).leads, listing=True
    ),
    "vigilant.leads.access.lead_agencies_for": Rule(
        P.LEADS_READ, lambda w, a: lead_access.lead_agencies_for(w.db, a), listing=True
    ),
    "vigilant.leads.access.get_lead_for": Rule(
        P.LEADS_READ, lambda w, a: lead_access.get_lead_for(w.db, a, w.lead)
    ),
    "vigilant.leads.access.can_see_lead": Rule(
        P.LEADS_READ, lambda w, a: lead_access.can_see_lead(w.db, a, w.lead) or [], listing=True
    ),
    "vigilant.leads.package.build_package": Rule(
        P.LEADS_READ,
        lambda w, a: package.build_package(
            w.db, str(w.lead), w.tmp / "no-observations", actor=a, exported_at=NOW
        ),
    ),
}


def _takes_actor(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` takes the caller: as its ``actor`` argument, or inside a request record it takes (a
    library import's :class:`ImportRequest`), named by its annotation."""
    parameters = inspect.signature(fn).parameters.values()
    return any(p.name == "actor" or _carries_actor(fn, p.annotation) for p in parameters)


def _carries_actor(fn: Callable[..., Any], annotation: object) -> bool:
    record = fn.__globals__.get(annotation) if isinstance(annotation, str) else annotation
    return (
        isinstance(record, type)
        and dataclasses.is_dataclass(record)
        and "actor" in {f.name for f in dataclasses.fields(record)}
    )


def _service_methods() -> set[str]:
    found = {
        f"{cls.__name__}.{name}"
        for cls in SERVICE_CLASSES
        for name, fn in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_") and _takes_actor(fn)
    }
    for module in SERVICE_MODULES:
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_") and _takes_actor(fn):
                found.add(f"{module.__name__}.{name}")
    return found


def test_every_service_method_that_takes_the_caller_has_a_rule() -> None:
    methods = _service_methods()
    assert methods - RULES.keys() - EXEMPT.keys() == set(), "give each a Rule (or an EXEMPT reason)"
    assert RULES.keys() - methods == set(), "a rule for a method that no longer takes the caller"
    assert EXEMPT.keys() <= methods


def _world(db: Database, tmp: Path) -> World:
    admin = Actor.cli("matrix-admin")
    agencies = [
        add_agency(db, admin, name=f"{name} Police", short_name=name, province="ON").id
        for name in ("OWN", "OTHER")
    ]
    own, other = agencies
    owner = Actor.cli("matrix", agency_id=own, roles={Role.COORDINATOR})
    case = open_case(db, owner, number="OWN-1", title="t").id
    operation = operations.add_operation(db, owner, code="OP-OWN", name="o", starts_on=DAY).id
    person = people.add_person(db, owner, case, given_names="A", surname="B", role=PersonRole.SUSPECT).id
    links.link_identifier(db, owner, case, "email", "a@example.org", person_id=person)
    folder = tmp / "seized"
    folder.mkdir()
    (folder / "a.txt").write_text("synthetic evidence\n")
    item = evidence_service(db).add(folder, actor=admin, case_number="OWN-1", agency=own).id
    run = TriageService(db, tmp / "data").create(item, SETTINGS, admin)
    with db.session() as s:
        lead = LeadRow(
            key="L-matrix", status=Status.ASSIGNED.value, routing={}, window_days=30, as_of=NOW,
            first_seen=NOW, last_seen=NOW, observation_count=1, known_files=1, max_severity=5,
            seeding=True, days_seen=1, tier="confirmed", score=1.0, actionable=True,
            explanation={"factors": []}, identities={"peer_ids": []}, geo_databases=[], created_at=NOW,
            built_at=NOW, built_by="matrix", routed_to="OWN", routed_agency_id=own, agency="OWN Police",
            assigned_agency_id=own,
        )  # fmt: skip
        s.add(lead)
        s.flush()
        lead_id = lead.id
    (tmp / "no-observations").mkdir()
    return World(db, own, other, case, operation, person, item, run, lead_id, folder, tmp, itertools.count())


def _outcome(result: Callable[[], Any]) -> str:
    try:
        value = result()
    except PermissionDenied:
        return "denied"
    except NotFoundError:
        return "hidden"
    except VigilantError:
        return "allowed"  # refused for the record's sake, after the rights let the caller through
    if isinstance(value, list | dict | set) and not value:
        return "hidden"
    return "allowed"


def _expected(rule: Rule, role: Role, own: bool) -> str:
    if rule.permission not in PERMISSIONS[role]:
        return "denied"
    return "allowed" if own or rule.creates or rule.shared else "hidden"


@pytest.mark.slow
@pytest.mark.parametrize("method", sorted(RULES))
def test_service_matrix(db: Database, tmp_path: Path, method: str) -> None:
    rule = RULES[method]
    w = _world(db, tmp_path)
    wrong = []
    for role, own in itertools.product(Role, (True, False)):
        agency = w.own if own else w.other
        # A user who logged in (user_id set): the web's caller, always scoped to its agency.
        actor = Actor(user_id=1, username=f"{role.value}@{agency}", roles=frozenset({role}), agency_id=agency)
        got = _outcome(lambda: rule.call(w, actor))  # noqa: B023 - called at once
        want = _expected(rule, role, own)
        if got != want:
            wrong.append(f"{role.value} of {'own' if own else 'other'} agency: {got}, expected {want}")
    assert wrong == []


@pytest.mark.parametrize("method", sorted(RULES))
def test_the_clis_own_actor_goes_through(db: Database, tmp_path: Path, method: str) -> None:
    """The CLI's actor (an administrator for no agency) sees every record, and holds every permission the
    methods ask for (media viewing, which no method here asks for, is not an administrator's); for cases it
    acts as a coordinator of the agency it names."""
    w = _world(db, tmp_path)
    rule = RULES[method]
    actor = (
        Actor.cli("cli", agency_id=w.own, roles={Role.COORDINATOR}) if rule.cli_member else Actor.cli("cli")
    )
    assert _outcome(lambda: rule.call(w, actor)) == "allowed"
