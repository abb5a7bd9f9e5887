"""The public release of an operation: adult accused, their charges, age and municipality — and no one else.

Never named (reference §7): anyone under 18 at the earliest date of any offence charged (YCJA s.110); any
victim or witness, in any case (s.486.4, YCJA s.111); anyone depicted in the material (s.486.4(3)); anyone
under a recorded, unrevoked publication ban; anyone whose date of birth is unknown, since adulthood cannot
be shown. Withheld persons appear only as counts, never with a name, age, municipality or charge list.

Naming an accused can identify an intra-familial victim, so an accused who shares a surname or an address
with a victim of the operation is flagged for review; the flag points at the victim by internal id only.
A flagged accused is withheld (counted as "under review", never with the reason) until a user of the
operation's coordinating agency whose role grants ``release.publish`` clears each of their flags with a
reason (:func:`clear_flag`, audited as ``release.flag_cleared``). Clearing only lifts the flag: a youth,
a victim or witness, anyone depicted or banned is withheld whatever was cleared, since those checks come
first and a withheld person is never flagged.
Names come only from cases the caller may see; the victim check looks at every case of the operation.
Every build is audited (it reads protected records), in the transaction that reads them.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigilant.cases.access import RELEASE_PREVIEW, RELEASE_PUBLISH, actor_name, agency_of, audit, case_visible
from vigilant.cases.ages import age_on, was_youth
from vigilant.cases.errors import InvalidRecordError
from vigilant.cases.models import (
    CasePersonRow,
    CaseRow,
    ChargeRow,
    OperationRow,
    PersonRole,
    PersonRow,
    ReleaseFlagClearanceRow,
)
from vigilant.cases.offences import OFFENCES
from vigilant.cases.operations import operation_by_ref
from vigilant.security.audit import RecordRead, ReleaseFlagCleared
from vigilant.security.errors import PermissionDenied
from vigilant.security.rights import Actor, require
from vigilant.store import Database
from vigilant.store.models import utcnow


class Withheld(StrEnum):
    """Why a person charged is not named, in the order the checks apply."""

    VICTIM_OR_WITNESS = "victim_or_witness"
    DEPICTED = "depicted"
    PUBLICATION_BAN = "publication_ban"
    YOUTH = "youth"
    AGE_UNKNOWN = "age_unknown"
    UNDER_REVIEW = "under_review"  # flagged (naming could identify a victim) and not cleared yet


_WITHHELD_TEXT = {
    Withheld.YOUTH: "young persons who cannot be identified under the Youth Criminal Justice Act",
    Withheld.AGE_UNKNOWN: "persons whose age at the time of the offence is not yet confirmed",
    Withheld.PUBLICATION_BAN: "persons protected by a publication ban",
    Withheld.VICTIM_OR_WITNESS: "persons who cannot be named to protect victims and witnesses",
    Withheld.DEPICTED: "persons who cannot be named under s. 486.4(3) of the Criminal Code",
    # Why is not said: "to protect a victim" beside one withheld adult would point at the family.
    Withheld.UNDER_REVIEW: "persons whose names are withheld pending review",
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
class Clearance:
    """Who cleared a flag, when, and why."""

    reason: str
    by: str
    at: datetime


@dataclass(frozen=True)
class ReviewFlag:
    """An accused to look at before publication: naming them could identify the victim. Until cleared,
    the accused is withheld."""

    accused_name: str
    accused_person_id: int
    victim_person_id: int  # internal reference for the reviewer; the victim is never named
    shared: tuple[str, ...]  # "surname", "address"
    cleared: Clearance | None = None


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
        for flag in data["flags"]:
            if flag["cleared"] is not None:
                flag["cleared"]["at"] = flag["cleared"]["at"].isoformat()
        return data

    @property
    def public_text(self) -> str:
        """What may be published: flagged accused are withheld (counted) until their flags are cleared."""
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
        for f in self.flags:
            state = (
                f"cleared by {f.cleared.by} on {f.cleared.at:%Y-%m-%d}: {f.cleared.reason}"
                if f.cleared is not None
                else "withheld until cleared"
            )
            lines.append(
                f"  - {f.accused_name} (person #{f.accused_person_id}) shares {' and '.join(f.shared)} "
                f"with victim record #{f.victim_person_id} — {state}"
            )
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
        release, read = _build(s, actor, op, today)
        audit(s, actor, RecordRead, object_type="release", object_id=op.code, records=read)
    return release


def _build(s: Session, actor: Actor, op: OperationRow, today: date) -> tuple[Release, int]:
    """The release as of ``today``, and how many persons charged it read."""
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
    clearances = {
        (row.accused_person_id, row.victim_person_id): row
        for row in s.scalars(
            select(ReleaseFlagClearanceRow).where(ReleaseFlagClearanceRow.operation_id == op.id)
        )
    }

    named: list[ReleasedAccused] = []
    flags: list[ReviewFlag] = []
    withheld: Counter[str] = Counter()
    for person in sorted(people, key=lambda p: (p.surname.casefold(), p.given_names.casefold(), p.id)):
        first = min(c.offence_from for c in by_person[person.id])
        reason = _withheld_reason(person, first, protected_roles, today)
        if reason is not None:
            withheld[reason.value] += 1
            continue
        # Only a person who would otherwise be named is flagged, so clearing never names a protected one.
        own_flags = [
            _cleared(flag, clearances) for victim in victims if (flag := _flag(person, victim)) is not None
        ]
        flags += own_flags
        if any(flag.cleared is None for flag in own_flags):
            withheld[Withheld.UNDER_REVIEW.value] += 1
            continue
        assert person.date_of_birth is not None  # _withheld_reason withholds unknown ages
        counts = Counter(c.offence_code for c in by_person[person.id])
        released_charges = tuple(
            ReleasedCharge(OFFENCES[code].section, OFFENCES[code].title, n)
            for code, n in sorted(counts.items(), key=lambda item: OFFENCES[item[0]].section)
        )
        named.append(
            ReleasedAccused(
                person.full_name, age_on(person.date_of_birth, today), person.municipality, released_charges
            )
        )
    order = [w.value for w in Withheld]
    release = Release(
        operation=op.code,
        operation_name=op.name,
        as_of=today,
        named=tuple(named),
        withheld={reason: withheld[reason] for reason in order if withheld[reason]},
        flags=tuple(flags),
    )
    return release, len(people)


def _cleared(flag: ReviewFlag, clearances: dict[tuple[int, int], ReleaseFlagClearanceRow]) -> ReviewFlag:
    """The flag with its clearance, if one covers everything the flag shares now."""
    row = clearances.get((flag.accused_person_id, flag.victim_person_id))
    if row is None or not set(flag.shared) <= set(row.shared):
        return flag
    return replace(flag, cleared=Clearance(row.reason, row.cleared_by, row.cleared_at))


def coordinates(db: Database, actor: Actor, operation: str | int) -> bool:
    """Whether the caller's agency coordinates ``operation`` (whose release it then publishes)."""
    with db.session() as s:
        return operation_by_ref(s, actor, operation).coordinating_agency_id == actor.agency_id


def clear_flag(
    db: Database,
    actor: Actor,
    operation: str | int,
    person_id: int,
    *,
    reason: str,
    victim_person_id: int | None = None,
    as_of: date | None = None,
) -> tuple[ReviewFlag, ...]:
    """Clear the flags on one accused in an operation's release (or only the one pointing at
    ``victim_person_id``), so that the accused is named; returns the flags cleared.

    Only the operation's coordinating agency publishes its release, so only its users whose role grants
    ``release.publish`` clear flags, each with a reason; every flag cleared is an audit event naming the
    actor, the accused and the reason. A person who is not a flag of the release now (a youth, a victim,
    anyone withheld before flags are looked at, or someone never flagged) cannot be cleared."""
    require(actor, RELEASE_PUBLISH)
    why = reason.strip()
    if not why:
        raise InvalidRecordError(
            "say why naming this accused will not identify the victim",
            hint="the reason is kept in the audit log with your name",
        )
    today = as_of or datetime.now(UTC).date()
    with db.session() as s:
        op = operation_by_ref(s, actor, operation)
        if op.coordinating_agency_id != agency_of(actor):
            raise PermissionDenied(
                actor.username,
                str(RELEASE_PUBLISH),
                message=f"only the agency coordinating {op.code} clears the flags of its release",
                hint="ask the coordinating agency's coordinator to review the flag",
            )
        release, _ = _build(s, actor, op, today)
        pending = [
            flag
            for flag in release.flags
            if flag.accused_person_id == person_id
            and flag.cleared is None
            and victim_person_id in (None, flag.victim_person_id)
        ]
        if not pending:
            raise InvalidRecordError(
                f"person #{person_id} has no flag to clear in the release of {op.code}",
                hint="the release preview lists the flags still to review",
            )
        now = utcnow()
        for flag in pending:
            row = s.scalars(
                select(ReleaseFlagClearanceRow).where(
                    ReleaseFlagClearanceRow.operation_id == op.id,
                    ReleaseFlagClearanceRow.accused_person_id == flag.accused_person_id,
                    ReleaseFlagClearanceRow.victim_person_id == flag.victim_person_id,
                )
            ).one_or_none()
            if row is None:
                row = ReleaseFlagClearanceRow(
                    operation_id=op.id,
                    accused_person_id=flag.accused_person_id,
                    victim_person_id=flag.victim_person_id,
                )
                s.add(row)
            row.shared, row.reason, row.cleared_by, row.cleared_at = (
                list(flag.shared),
                why,
                actor_name(actor),
                now,
            )
            audit(
                s,
                actor,
                ReleaseFlagCleared,
                object_type="release",
                object_id=op.code,
                person_id=flag.accused_person_id,
                victim_person_id=flag.victim_person_id,
                shared=flag.shared,
                reason=why,
            )
        s.flush()
        return tuple(replace(f, cleared=Clearance(why, actor_name(actor), now)) for f in pending)


def _flag(person: PersonRow, victim: PersonRow) -> ReviewFlag | None:
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
    return ReviewFlag(person.full_name, person.id, victim.id, tuple(shared))
