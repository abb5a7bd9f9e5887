"""Searching persons across the cases the caller may see, by name and role.

A person is found only through a visible case that names them (:func:`visible_case_ids`), and only their
roles in visible cases are shown, so another agency's ``agency_only`` case never surfaces. Reading persons
needs ``cases.read`` and ``persons.read`` (victims and persons depicted in the material are among them), and
every search writes an audit event with its terms and the number of persons returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import and_, or_, select

from vigilant.cases.access import PERSONS_READ, READ, audit, case_visible, visible_case_ids
from vigilant.cases.models import CasePersonRow, CaseRow, PersonRole, PersonRow
from vigilant.security.audit import RecordRead
from vigilant.security.rights import Actor, require
from vigilant.store import Database

PersonOrder = Literal["name", "born"]


@dataclass(frozen=True)
class CaseRole:
    case_id: int
    number: str
    role: str


@dataclass(frozen=True)
class PersonHit:
    person: PersonRow
    roles: Sequence[CaseRole]  # in visible cases only, newest case first


def like_pattern(text: str) -> str:
    """``%text%`` with LIKE's wildcards escaped (escape character ``\\``): "50%" means those characters."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_persons(
    db: Database,
    actor: Actor,
    *,
    search: str | None = None,
    role: PersonRole | None = None,
    order: PersonOrder = "name",
    limit: int = 25,
    offset: int = 0,
) -> list[PersonHit]:
    """Visible persons whose surname or given names contain every word of ``search`` (ignoring case),
    named in ``role`` in some visible case when given; by name, or by date of birth (unknown last)."""
    require(actor, READ)
    require(actor, PERSONS_READ)
    named = select(CasePersonRow.person_id).where(CasePersonRow.case_id.in_(visible_case_ids(actor)))
    if role is not None:
        named = named.where(CasePersonRow.role == role.value)
    query = select(PersonRow).where(PersonRow.id.in_(named))
    for word in (search or "").split():
        like = like_pattern(word)
        query = query.where(
            or_(PersonRow.surname.ilike(like, escape="\\"), PersonRow.given_names.ilike(like, escape="\\"))
        )
    by_name = (PersonRow.surname, PersonRow.given_names, PersonRow.id)
    if order == "born":
        query = query.order_by(PersonRow.date_of_birth.is_(None), PersonRow.date_of_birth, *by_name)
    else:
        query = query.order_by(*by_name)
    with db.session() as s:
        persons = list(s.scalars(query.limit(limit).offset(offset)))
        roles: dict[int, list[CaseRole]] = {p.id: [] for p in persons}
        if persons:
            found = s.execute(
                select(CasePersonRow.person_id, CaseRow.id, CaseRow.number, CasePersonRow.role)
                .join(CaseRow, CaseRow.id == CasePersonRow.case_id)
                .where(and_(CasePersonRow.person_id.in_(roles), case_visible(actor)))
                .order_by(CaseRow.opened_at.desc(), CaseRow.id.desc(), CasePersonRow.role)
            )
            for person_id, case_id, number, case_role in found:
                roles[person_id].append(CaseRole(case_id, number, case_role))
        query_text = " ".join(filter(None, [search and search.strip(), role and f"role:{role.value}"]))
        audit(s, actor, RecordRead, object_type="person", query=query_text or None, records=len(persons))
        return [PersonHit(p, tuple(roles[p.id])) for p in persons]
