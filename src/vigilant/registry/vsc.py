"""Vulnerable-sector checks: does an applicant for work with children or vulnerable people match a
registrant?

A request names the applicant (surname, given names, date of birth, sex), the requesting organisation and
how the applicant's consent was recorded. The answer is only ever "no record" or "possible match —
fingerprint confirmation required": never a name or a detail, since a name and a date of birth do not
identify a person (the fingerprint step does). A possible match is a registrant with the same date of birth
and the same surname and first given name (ignoring case, accents and punctuation), the sex matching too,
or an alias with that surname and first given name and the alias's date of birth (the registrant's when the
alias has none). The registry office then records the fingerprint comparison's outcome. Every check and
every confirmation is audited; the candidates stay inside the registry office.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from vigilant.cases.models import PersonRow
from vigilant.registry.access import record
from vigilant.registry.crosscheck_names import name_key
from vigilant.registry.errors import RegistrantNotFound, RegistryError
from vigilant.registry.models import RegistrantAliasRow, RegistrantRow, Sex
from vigilant.registry.places_models import VscConfirmation, VscRequestRow, VscResult
from vigilant.security.audit import AuditEvent, RecordChanged, RecordRead
from vigilant.security.rights import Actor, Permission, require
from vigilant.store import Database
from vigilant.store.models import utcnow

ANSWERS = {
    VscResult.NO_RECORD: "no record",
    VscResult.POSSIBLE_MATCH: "possible match — fingerprint confirmation required",
}


@dataclass(frozen=True, kw_only=True)
class VulnerableSectorChecked(AuditEvent):
    """A vulnerable-sector check was answered (the candidates are not in the event: the request row holds
    them for the registry office)."""

    action: ClassVar[str] = "registry.vsc"
    organisation: str
    result: str
    consent: str


@dataclass(frozen=True)
class VscAnswer:
    """What the requester is told, and what the letter prints."""

    reference: str
    surname: str
    given_names: str
    date_of_birth: date
    sex: str
    organisation: str
    consent: str
    result: str
    answer: str
    requested_by: str
    requested_at: datetime
    confirmation: str | None
    confirmed_at: datetime | None


def _answer(row: VscRequestRow) -> VscAnswer:
    return VscAnswer(
        reference=row.reference, surname=row.surname, given_names=row.given_names,
        date_of_birth=row.date_of_birth, sex=row.sex, organisation=row.organisation, consent=row.consent,
        result=row.result, answer=ANSWERS[VscResult(row.result)], requested_by=row.requested_by,
        requested_at=row.requested_at, confirmation=row.confirmation, confirmed_at=row.confirmed_at,
    )  # fmt: skip


def _text(value: str, what: str, limit: int) -> str:
    cleaned = " ".join((value or "").split())
    if not cleaned:
        raise RegistryError(f"a vulnerable-sector check needs the {what}")
    if len(cleaned) > limit:
        raise RegistryError(f"the {what} is longer than {limit} characters")
    return cleaned


def candidates(s: Session, *, surname: str, given_names: str, born: date, sex: str) -> list[int]:
    """Registrants that may be the applicant (see the module's rule), by id."""
    key = name_key(given_names, surname)
    found: set[int] = set()
    main = s.execute(
        select(RegistrantRow.id, RegistrantRow.sex, PersonRow.given_names, PersonRow.surname)
        .join(PersonRow, PersonRow.id == RegistrantRow.person_id)
        .where(PersonRow.date_of_birth == born)
    )
    for rid, r_sex, r_given, r_surname in main:
        if r_sex == sex and name_key(r_given, r_surname) == key:
            found.add(rid)
    aliases = s.execute(
        select(RegistrantAliasRow.registrant_id, RegistrantAliasRow.given_names, RegistrantAliasRow.surname)
        .join(RegistrantRow, RegistrantRow.id == RegistrantAliasRow.registrant_id)
        .join(PersonRow, PersonRow.id == RegistrantRow.person_id)
        .where(
            or_(
                RegistrantAliasRow.date_of_birth == born,
                (RegistrantAliasRow.date_of_birth.is_(None)) & (PersonRow.date_of_birth == born),
            )
        )
    )
    for rid, a_given, a_surname in aliases:
        if name_key(a_given, a_surname) == key:
            found.add(rid)
    return sorted(found)


def check(
    db: Database,
    actor: Actor,
    *,
    surname: str,
    given_names: str,
    date_of_birth: date,
    sex: str,
    organisation: str,
    consent: str,
) -> VscAnswer:
    """Answer a vulnerable-sector check; the request, its answer and its audit event commit together."""
    require(actor, Permission.REGISTRY_WRITE)
    surname, given_names = _text(surname, "surname", 200), _text(given_names, "given names", 200)
    organisation = _text(organisation, "requesting organisation", 300)
    consent = _text(consent, "record of the applicant's consent", 2000)
    try:
        sex = Sex(sex.strip().upper()).value
    except ValueError:
        raise RegistryError(f"unknown sex {sex!r}", hint="F, M or X") from None
    if name_key(given_names, surname) is None:
        raise RegistryError("the applicant's name has no letters to compare")
    with db.session() as s:
        found = candidates(s, surname=surname, given_names=given_names, born=date_of_birth, sex=sex)
        result = VscResult.POSSIBLE_MATCH if found else VscResult.NO_RECORD
        row = VscRequestRow(
            reference=f"VSC-{utcnow():%Y}-{secrets.token_hex(4).upper()}", surname=surname,
            given_names=given_names, date_of_birth=date_of_birth, sex=sex, organisation=organisation,
            consent=consent, result=result.value, candidates=found, requested_by=actor.username,
            requested_at=utcnow(), fingerprints_compared=False,
        )  # fmt: skip
        s.add(row)
        s.flush()
        record(
            s,
            VulnerableSectorChecked.by(
                actor, object_type="registry_vsc", object_id=row.reference, organisation=organisation,
                result=result.value, consent=consent,
            ),
        )  # fmt: skip
        return _answer(row)


def _request(s: Session, reference: str) -> VscRequestRow:
    row = s.scalars(select(VscRequestRow).where(VscRequestRow.reference == reference.strip().upper())).first()
    if row is None:
        raise RegistrantNotFound(f"no vulnerable-sector check {reference!r}")
    return row


def get(db: Database, actor: Actor, reference: str) -> VscAnswer:
    """A check's answer, as its letter prints it (audited read)."""
    require(actor, Permission.REGISTRY_READ)
    with db.session() as s:
        row = _request(s, reference)
        record(s, RecordRead.by(actor, object_type="registry_vsc", object_id=row.reference))
        return _answer(row)


def confirm(
    db: Database,
    actor: Actor,
    reference: str,
    *,
    outcome: VscConfirmation,
    fingerprints_compared: bool,
    notes: str | None = None,
) -> VscAnswer:
    """Record the fingerprint step of a possible match: the applicant is the registrant (confirmed) or not
    (excluded). Only once, and only after the fingerprints were compared."""
    require(actor, Permission.REGISTRY_WRITE)
    if not fingerprints_compared:
        raise RegistryError(
            "a possible match is confirmed or excluded only by comparing fingerprints",
            hint="record the comparison (--fingerprints-compared) once it is done",
        )
    with db.session() as s:
        row = _request(s, reference)
        if row.result != VscResult.POSSIBLE_MATCH.value:
            raise RegistryError(f"{row.reference} answered 'no record': there is nothing to confirm")
        if row.confirmation is not None:
            raise RegistryError(f"{row.reference} was already {row.confirmation} by {row.confirmed_by}")
        row.confirmation, row.confirmation_notes = outcome.value, (notes or "").strip() or None
        row.fingerprints_compared, row.confirmed_by, row.confirmed_at = True, actor.username, utcnow()
        record(
            s,
            RecordChanged.by(
                actor, object_type="registry_vsc", object_id=row.reference, change="confirm",
                fields_changed=(f"confirmation={outcome.value}",),
            ),
        )  # fmt: skip
        return _answer(row)
