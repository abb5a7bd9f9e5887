"""The public release of an operation: adult accused, their charges, age and municipality — and no one else.

Never named (reference §7): anyone under 18 at the earliest date of any offence charged (YCJA s.110); any
victim or witness, in any case (s.486.4, YCJA s.111); anyone depicted in the material (s.486.4(3)); anyone
under a recorded, unrevoked publication ban; anyone whose date of birth is unknown, since adulthood cannot
be shown. Withheld persons appear only as counts, never with a name, age, municipality or charge list.

Naming an accused can identify an intra-familial victim, so an accused who shares a surname or an address
with a victim of the operation is flagged for review; the flag points at the victim by internal id only.
Names come only from cases the caller may see; the victim check looks at every case of the operation.
Every build is audited (it reads protected records), in the transaction that reads them.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select

from vigilant.cases.access import RELEASE_PREVIEW, Actor, audit, case_visible, require
from vigilant.cases.ages import age_on, was_youth
from vigilant.cases.models import CasePersonRow, CaseRow, ChargeRow, PersonRole, PersonRow
from vigilant.cases.offences import OFFENCES
from vigilant.cases.operations import operation_by_ref
from vigilant.security.audit import RecordRead
from vigilant.store import Database


class Withheld(StrEnum):
    """Why a person charged is not named, in the order the checks apply."""

    VICTIM_OR_WITNESS = "victim_or_witness"
    DEPICTED = "depicted"
    PUBLICATION_BAN = "publication_ban"
    YOUTH = "youth"
    AGE_UNKNOWN = "age_unknown"


_WITHHELD_TEXT = {
    Withheld.YOUTH: "young persons who cannot be identified under the Youth Criminal Justice Act",
    Withheld.AGE_UNKNOWN: "persons whose age at the time of the offence is not yet confirmed",
    Withheld.PUBLICATION_BAN: "persons protected by a publication ban",
    Withheld.VICTIM_OR_WITNESS: "persons who cannot be named to protect victims and witnesses",
    Withheld.DEPICTED: "persons who cannot be named under s. 486.4(3) of the Criminal Code",
}


@dataclass(frozen=True)
class ReleasedCharge:
    section: str
    title: str
    counts: int


@dataclass(frozen=True)
class ReleasedAccused:
    name: str
    age: int
    municipality: str | None
    charges: tuple[ReleasedCharge, ...]


@dataclass(frozen=True)
class ReviewFlag:
    """An accused to look at before publication: naming them could identify the victim."""

    accused_name: str
    accused_person_id: int
    victim_person_id: int  # internal reference for the reviewer; the victim is never named
    shared: tuple[str, ...]  # "surname", "address"


@dataclass(frozen=True)
class Release:
    operation: str
    operation_name: str
    as_of: date
    named: tuple[ReleasedAccused, ...]
    withheld: dict[str, int]
    flags: tuple[ReviewFlag, ...]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        return data

    @property
    def public_text(self) -> str:
        """What may be published once the flags are cleared."""
        lines = [f"Operation {self.operation_name}: persons charged, as of {self.as_of.isoformat()}", ""]
        for accused in self.named:
            where = f" of {accused.municipality}" if accused.municipality else ""
            lines.append(f"{accused.name}, {accused.age},{where}, is charged with:")
            lines += [
                f"  - {c.title} (s. {c.section} Criminal Code)" + (f" x{c.counts}" if c.counts > 1 else "")
                for c in accused.charges
            ]
        total = sum(self.withheld.values())
        if total:
            lines += ["", f"{total} other person(s) charged cannot be named:"]
            lines += [f"  - {n} {_WITHHELD_TEXT[Withheld(reason)]}" for reason, n in self.withheld.items()]
        return "\n".join(lines) + "\n"

    @property
    def review_text(self) -> str:
        """For the reviewer, never for publication: who is flagged and why."""
        if not self.flags:
            return "No accused shares a surname or an address with a victim of the operation.\n"
        lines = ["FOR REVIEW BEFORE PUBLICATION — naming these accused could identify a victim:"]
        lines += [
            f"  - {f.accused_name} shares {' and '.join(f.shared)} with victim record #{f.victim_person_id}"
            for f in self.flags
        ]
        return "\n".join(lines) + "\n"


def _address_key(address: str | None) -> str | None:
    if not address:
        return None
    key = re.sub(r"[^\w]+", " ", address.casefold()).strip()
    return key or None


def _withheld_reason(
    person: PersonRow, first_offence: date, protected_roles: set[int], today: date
) -> Withheld | None:
    if person.id in protected_roles:
        return Withheld.VICTIM_OR_WITNESS
    if person.depicted:
        return Withheld.DEPICTED
    if any(ban.revoked_on is None or ban.revoked_on > today for ban in person.bans):
        return Withheld.PUBLICATION_BAN
    if person.date_of_birth is None:
        return Withheld.AGE_UNKNOWN
    if was_youth(person.date_of_birth, first_offence):
        return Withheld.YOUTH
    return None


def build_release(db: Database, actor: Actor, operation: str | int, *, as_of: date | None = None) -> Release:
    require(actor, RELEASE_PREVIEW)
    today = as_of or datetime.now(UTC).date()
    with db.session() as s:
        op = operation_by_ref(s, actor, operation)
        all_cases = select(CaseRow.id).where(CaseRow.operation_id == op.id)
        visible_cases = all_cases.where(case_visible(actor))
        charges = list(s.scalars(select(ChargeRow).where(ChargeRow.case_id.in_(visible_cases))))
        by_person: dict[int, list[ChargeRow]] = defaultdict(list)
        for charge in charges:
            by_person[charge.person_id].append(charge)
        # Victims and witnesses anywhere, not only in this operation: a witness elsewhere is still protected.
        protected_roles = set(
            s.scalars(
                select(CasePersonRow.person_id).where(
                    CasePersonRow.role.in_([PersonRole.VICTIM.value, PersonRole.WITNESS.value])
                )
            )
        )
        victims = list(
            s.scalars(
                select(PersonRow)
                .join(CasePersonRow, CasePersonRow.person_id == PersonRow.id)
                .where(CasePersonRow.case_id.in_(all_cases), CasePersonRow.role == PersonRole.VICTIM.value)
                .distinct()
            )
        )
        people = s.scalars(select(PersonRow).where(PersonRow.id.in_(by_person))).all()

        named: list[tuple[PersonRow, ReleasedAccused]] = []
        withheld: Counter[str] = Counter()
        for person in sorted(people, key=lambda p: (p.surname.casefold(), p.given_names.casefold(), p.id)):
            first = min(c.offence_from for c in by_person[person.id])
            reason = _withheld_reason(person, first, protected_roles, today)
            if reason is not None:
                withheld[reason.value] += 1
                continue
            assert person.date_of_birth is not None  # _withheld_reason withholds unknown ages
            counts = Counter(c.offence_code for c in by_person[person.id])
            released_charges = tuple(
                ReleasedCharge(OFFENCES[code].section, OFFENCES[code].title, n)
                for code, n in sorted(counts.items(), key=lambda item: OFFENCES[item[0]].section)
            )
            named.append(
                (
                    person,
                    ReleasedAccused(
                        person.full_name,
                        age_on(person.date_of_birth, today),
                        person.municipality,
                        released_charges,
                    ),
                )
            )
        flags = [
            flag
            for person, accused in named
            for victim in victims
            if (flag := _flag(person, accused, victim))
        ]
        audit(s, actor, RecordRead, object_type="release", object_id=op.code, records=len(people))
    order = [w.value for w in Withheld]
    return Release(
        operation=op.code,
        operation_name=op.name,
        as_of=today,
        named=tuple(a for _, a in named),
        withheld={reason: withheld[reason] for reason in order if withheld[reason]},
        flags=tuple(flags),
    )


def _flag(person: PersonRow, accused: ReleasedAccused, victim: PersonRow) -> ReviewFlag | None:
    if victim.id == person.id:
        return None
    shared = []
    if person.surname.strip().casefold() == victim.surname.strip().casefold():
        shared.append("surname")
    address = _address_key(person.address)
    if address is not None and address == _address_key(victim.address):
        shared.append("address")
    if not shared:
        return None
    return ReviewFlag(accused.name, person.id, victim.id, tuple(shared))
