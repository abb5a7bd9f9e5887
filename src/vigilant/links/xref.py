"""Person resolution (xref): which person records, across cases and agencies, are one person.

``run_xref`` reads every person of the installation (names, date of birth, sex, address, the identifiers
linked to them), scores pairs with the fixed Splink model (:mod:`vigilant.links.xref_model`) and replaces the
proposals with the new ones; analysts' judgements (:mod:`vigilant.links.judgements`) are kept apart and
applied to every listing. A run sees every record but shows no one anything: every listing is cut to the
caller.

Distribution: a proposal whose persons the caller may both see shows both, with the comparisons behind its
score. One whose other person is held in a case the caller may not see shows only the caller's person, the
score, and "a possible match is held by AGENCY — contact its coordinator": no field of that record, not even
which comparisons agreed (each would tell something about it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigilant.cases.access import Actor, audit, require, visible_case_ids
from vigilant.cases.errors import RecordNotFoundError
from vigilant.cases.models import AgencyRow, CasePersonRow, IdentifierLinkRow, IdentifierRow, PersonRow
from vigilant.links.judgements import QUEUE_STATUSES, Pair, latest_judgements, profiles, status_of
from vigilant.links.xref_job import Progress, run_job
from vigilant.links.xref_model import PROPOSE_FROM_WEIGHT
from vigilant.links.xref_models import XrefJudgementRow, XrefProposalRow, XrefRunRow
from vigilant.links.xref_records import XrefRecord, make_record
from vigilant.security.audit import RecordRead
from vigilant.security.rights import Permission
from vigilant.store import Database

WITHHELD = "a possible match is held by {agency} — contact its coordinator"


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    model_version: str
    persons: int
    pairs_compared: int
    proposals: int
    job_id: int | None = None


def load_records(s: Session) -> list[XrefRecord]:
    """Every person of the installation, as the model compares them."""
    identifiers: dict[int, list[str]] = defaultdict(list)
    linked = (
        select(IdentifierLinkRow.person_id, IdentifierRow.kind, IdentifierRow.value)
        .join(IdentifierRow, IdentifierRow.id == IdentifierLinkRow.identifier_id)
        .where(IdentifierLinkRow.person_id.is_not(None))
    )
    for person_id, kind, value in s.execute(linked):
        identifiers[person_id or 0].append(f"{kind}:{value}")
    columns = select(
        PersonRow.id,
        PersonRow.given_names,
        PersonRow.surname,
        PersonRow.date_of_birth,
        PersonRow.gender,
        PersonRow.address,
        PersonRow.municipality,
    ).order_by(PersonRow.id)
    return [
        make_record(
            pid,
            given_names=given,
            surname=surname,
            date_of_birth=dob,
            gender=gender,
            address=address,
            municipality=municipality,
            identifiers=identifiers.get(pid, ()),
        )
        for pid, given, surname, dob, gender, address, municipality in s.execute(columns)
    ]


def run_xref(
    db: Database,
    actor: Actor,
    *,
    propose_from: float = PROPOSE_FROM_WEIGHT,
    data_dir: Path | None = None,
    on_progress: Progress | None = None,
) -> RunSummary:
    """Score every person against the others and replace the proposals; judgements stay as they are. Runs
    as a job (:mod:`vigilant.links.xref_job`): with ``data_dir``, an interrupted job is resumed and this one
    can be."""
    require(actor, Permission.LINKS_READ)
    job_id, run_id = run_job(db, actor, data_dir, propose_from=propose_from, on_progress=on_progress)
    with db.session() as s:
        run = s.get(XrefRunRow, run_id)
        if run is None:
            raise RecordNotFoundError(f"xref job {job_id} left no run {run_id}", hint="run it again")
        return RunSummary(run.id, run.model_version, run.persons, run.pairs_compared, run.proposals, job_id)


@dataclass(frozen=True)
class PersonSide:
    id: int
    name: str
    date_of_birth: date | None
    gender: str | None
    municipality: str | None
    agency: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else None,
            "gender": self.gender,
            "municipality": self.municipality,
            "agency": self.agency,
        }


@dataclass(frozen=True)
class ProposalView:
    """A proposal as one caller may see it; ``other`` is None and ``withheld`` says who to ask when the
    second person is not visible to the caller."""

    id: int
    status: str
    match_weight: float
    match_probability: float
    person: PersonSide
    other: PersonSide | None
    withheld: str | None
    comparisons: tuple[dict[str, Any], ...] = field(default=())
    judgement: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "match_weight": round(self.match_weight, 3),
            "match_probability": round(self.match_probability, 6),
            "person": self.person.as_dict(),
            "other": self.other.as_dict() if self.other else None,
            "withheld": self.withheld,
            "comparisons": list(self.comparisons),
            "judgement": self.judgement,
        }


def _visible_persons(s: Session, actor: Actor, ids: Iterable[int]) -> set[int]:
    wanted = set(ids)
    if not wanted:
        return set()
    query = select(CasePersonRow.person_id).where(
        CasePersonRow.case_id.in_(visible_case_ids(actor)), CasePersonRow.person_id.in_(wanted)
    )
    return set(s.scalars(query))


def _sides(s: Session, ids: set[int]) -> dict[int, PersonSide]:
    if not ids:
        return {}
    rows = s.execute(
        select(PersonRow, AgencyRow.short_name)
        .join(AgencyRow, AgencyRow.id == PersonRow.agency_id)
        .where(PersonRow.id.in_(ids))
    )
    return {
        p.id: PersonSide(p.id, p.full_name, p.date_of_birth, p.gender, p.municipality, agency)
        for p, agency in rows
    }


def _agencies_of(s: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = s.execute(
        select(PersonRow.id, AgencyRow.name)
        .join(AgencyRow, AgencyRow.id == PersonRow.agency_id)
        .where(PersonRow.id.in_(ids))
    )
    return {int(pid): str(name) for pid, name in rows}


def _judgement(row: XrefJudgementRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"verdict": row.verdict, "reason": row.reason, "by": row.judged_by,
            "at": row.judged_at.isoformat(), "fingerprint_then": row.fingerprint}  # fmt: skip


def _views(s: Session, actor: Actor, proposals: list[XrefProposalRow]) -> list[ProposalView]:
    everyone = {p.person_a_id for p in proposals} | {p.person_b_id for p in proposals}
    visible = _visible_persons(s, actor, everyone)
    sides = _sides(s, visible)
    hidden_agency = _agencies_of(s, everyone - visible)
    judged = latest_judgements(s, [(p.person_a_id, p.person_b_id) for p in proposals])
    linked = profiles(s)
    views = []
    for p in proposals:
        pair: Pair = (p.person_a_id, p.person_b_id)
        a_seen, b_seen = p.person_a_id in visible, p.person_b_id in visible
        if not a_seen and not b_seen:
            continue
        status = status_of(p, judged.get(pair), linked)
        if a_seen and b_seen:
            view = ProposalView(
                p.id,
                status,
                p.match_weight,
                p.match_probability,
                sides[p.person_a_id],
                sides[p.person_b_id],
                None,
                tuple(p.comparisons),
                _judgement(judged.get(pair)),
            )
            views.append(view)
        else:
            mine, theirs = (p.person_a_id, p.person_b_id) if a_seen else (p.person_b_id, p.person_a_id)
            message = WITHHELD.format(agency=hidden_agency[theirs])
            # The status and judgement stay hidden too: they were made by someone who saw the other record.
            views.append(ProposalView(p.id, "withheld", p.match_weight, p.match_probability, sides[mine],
                                      None, message))  # fmt: skip
    return views


def list_proposals(
    db: Database, actor: Actor, *, status: str = "queue", person_id: int | None = None, limit: int = 500
) -> list[ProposalView]:
    """Proposals the caller may see, strongest first. ``status``: queue (open, reopened, unsure), all, or
    one status (open, reopened, unsure, same, not_same, same_profile, withheld)."""
    require(actor, Permission.LINKS_READ)
    with db.session() as s:
        query = select(XrefProposalRow).order_by(XrefProposalRow.match_weight.desc(), XrefProposalRow.id)
        if person_id is not None:
            query = query.where(
                (XrefProposalRow.person_a_id == person_id) | (XrefProposalRow.person_b_id == person_id)
            )
        views = _views(s, actor, list(s.scalars(query)))
        if status == "queue":
            views = [v for v in views if v.status in QUEUE_STATUSES]
        elif status != "all":
            views = [v for v in views if v.status == status]
        views = views[:limit]
        audit(s, actor, RecordRead, object_type="xref_proposal", query=f"status={status}", records=len(views))
        return views


def get_proposal(db: Database, actor: Actor, proposal_id: int) -> ProposalView:
    require(actor, Permission.LINKS_READ)
    with db.session() as s:
        row = s.get(XrefProposalRow, proposal_id)
        views = _views(s, actor, [row]) if row is not None else []
        if not views:
            raise RecordNotFoundError(f"no xref proposal {proposal_id} that you may see",
                                      hint="list them: vigilant links xref list")  # fmt: skip
        audit(s, actor, RecordRead, object_type="xref_proposal", object_id=str(proposal_id), records=1)
        return views[0]


@dataclass(frozen=True)
class Profile:
    """One person across cases: the persons confirmed the same, those the caller may see, and for the others
    only who holds them."""

    profile_id: int
    persons: tuple[PersonSide, ...]
    withheld: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"profile": self.profile_id, "persons": [p.as_dict() for p in self.persons],
                "withheld": list(self.withheld)}  # fmt: skip


def profile(db: Database, actor: Actor, person_id: int) -> Profile:
    """The profile of a person the caller may see: every person confirmed the same, transitively."""
    require(actor, Permission.LINKS_READ)
    with db.session() as s:
        if person_id not in _visible_persons(s, actor, [person_id]):
            raise RecordNotFoundError(f"no person {person_id} that you may see", hint="check the person id")
        linked = profiles(s)
        members = set(linked.members(person_id))
        visible = _visible_persons(s, actor, members)
        sides = _sides(s, visible)
        hidden = _agencies_of(s, members - visible)
        withheld = tuple(sorted({WITHHELD.format(agency=a) for a in hidden.values()}))
        audit(
            s, actor, RecordRead, object_type="xref_profile", object_id=str(person_id), records=len(visible)
        )
        return Profile(linked.profile_of(person_id), tuple(sides[i] for i in sorted(visible)), withheld)
