"""Persons analysts confirmed to be the same person (xref judgements, :mod:`.judgements`): one link per
confirmed pair, as strong as links come, so that one person recorded by two agencies joins their
neighbourhoods. A pair judged "not same" or "unsure" never links; a later judgement replaces an earlier
one."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import select

from vigilant.cases.models import PersonRow
from vigilant.links import entities as e
from vigilant.links.builder import Sources, Trigger
from vigilant.links.entities import BuiltLinks, LinkFact, Provenance
from vigilant.links.judgements import Verdict, latest_judgements

SAME_PERSON_WEIGHT = 10.0


class SamePerson:
    name: ClassVar[str] = "same_person"
    triggers: ClassVar[frozenset[str]] = frozenset({Trigger.RECORD})
    description: ClassVar[str] = "persons an analyst confirmed to be the same (xref judgements)"

    def build(self, sources: Sources) -> BuiltLinks:
        out = BuiltLinks()
        with sources.db.session() as s:
            judged = latest_judgements(s)
            ids = {i for pair in judged for i in pair}
            people = {p.id: p for p in s.scalars(select(PersonRow).where(PersonRow.id.in_(ids)))}
            for (a, b), row in sorted(judged.items()):
                if row.verdict != Verdict.SAME.value or a not in people or b not in people:
                    continue
                pa, pb = people[a], people[b]
                out.add(
                    LinkFact(
                        "same_person",
                        e.person(a, pa.full_name, pa.agency_id),
                        e.person(b, pb.full_name, pb.agency_id),
                        SAME_PERSON_WEIGHT,
                        {"text": "confirmed the same person", "reason": row.reason},
                        Provenance("record", (f"xref_judgement:{row.id}",), row.judged_at),
                    )
                )
        return out
