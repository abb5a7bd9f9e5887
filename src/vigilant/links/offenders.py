"""Repeat-offender flags: a suspect or accused with an arrest or a charge in another case the caller may
see, as the same person record or as a person analysts confirmed to be the same (xref). Registry status
joins once the registry can be read here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from vigilant.cases.access import Actor, audit, visible_case_ids
from vigilant.cases.models import (
    ArrestRow,
    CasePersonRow,
    CaseRow,
    ChargeRow,
    PersonRole,
    PersonRow,
)
from vigilant.cases.offences import OFFENCES
from vigilant.cases.operations import operation_by_ref
from vigilant.links.judgements import profiles
from vigilant.links.service import require_links
from vigilant.security.audit import RecordRead
from vigilant.store import Database

SUBJECT_ROLES = (PersonRole.ACCUSED.value, PersonRole.SUSPECT.value)


@dataclass(frozen=True)
class RepeatFlag:
    person_id: int
    name: str
    cases: tuple[str, ...]  # the cases in which they are now suspect or accused
    priors: tuple[dict[str, Any], ...]  # each arrest or charge in another case: what, when, where
    explanation: str

    def to_json(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "name": self.name,
            "cases": list(self.cases),
            "priors": list(self.priors),
            "explanation": self.explanation,
        }


def repeat_offenders(db: Database, actor: Actor, *, operation: str | int | None = None) -> list[RepeatFlag]:
    """Every suspect or accused (of ``operation``'s cases, or of every case) the caller may see who has an
    arrest or charge in another case the caller may see."""
    require_links(actor)
    with db.session() as s:
        visible = set(s.scalars(visible_case_ids(actor)))
        cases = {c.id: c for c in s.scalars(select(CaseRow).where(CaseRow.id.in_(visible)))}
        query = select(CasePersonRow).where(
            CasePersonRow.case_id.in_(visible), CasePersonRow.role.in_(SUBJECT_ROLES)
        )
        if operation is not None:
            op = operation_by_ref(s, actor, operation).id
            query = query.join(CaseRow, CaseRow.id == CasePersonRow.case_id).where(CaseRow.operation_id == op)
        subjects: dict[int, set[int]] = {}
        for cp in s.scalars(query):
            subjects.setdefault(cp.person_id, set()).add(cp.case_id)
        linked = profiles(s)
        flags = []
        for person_id in sorted(subjects):
            same = set(linked.members(person_id)) | {person_id}
            now = subjects[person_id]
            records: list[dict[str, Any]] = []
            for a in s.scalars(
                select(ArrestRow).where(ArrestRow.person_id.in_(same), ArrestRow.case_id.in_(visible))
            ):
                records.append(
                    {
                        "what": "arrest",
                        "on": a.arrested_at.date().isoformat(),
                        "case_id": a.case_id,
                        "case": cases[a.case_id].number,
                        "as_person": a.person_id,
                    }
                )
            for c in s.scalars(
                select(ChargeRow).where(ChargeRow.person_id.in_(same), ChargeRow.case_id.in_(visible))
            ):
                offence = OFFENCES[c.offence_code].title if c.offence_code in OFFENCES else c.offence_code
                records.append(
                    {
                        "what": "charge",
                        "on": c.laid_on.isoformat(),
                        "offence": offence,
                        "case_id": c.case_id,
                        "case": cases[c.case_id].number,
                        "as_person": c.person_id,
                    }
                )
            # A prior is an arrest or charge in a case other than the one the person is now a subject of.
            flagged = sorted(c for c in now if any(r["case_id"] != c for r in records))
            priors = [r for r in records if any(r["case_id"] != c for c in flagged)]
            if not priors:
                continue
            priors.sort(key=lambda p: (p["on"], p["what"]))
            person = s.get(PersonRow, person_id)
            assert person is not None
            text = "; ".join(
                f"{p['what']} on {p['on']} in case {p['case']}"
                + (f" ({p['offence']})" if "offence" in p else "")
                + (" as a person confirmed the same" if p["as_person"] != person_id else "")
                for p in priors
            )
            flags.append(
                RepeatFlag(
                    person_id,
                    person.full_name,
                    tuple(sorted(cases[c].number for c in flagged)),
                    tuple(priors),
                    f"prior record: {text}",
                )
            )
        audit(
            s,
            actor,
            RecordRead,
            object_type="repeat_offenders",
            object_id=str(operation or "all"),
            records=len(flags),
        )
    return flags
