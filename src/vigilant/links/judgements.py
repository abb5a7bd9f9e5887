"""Analysts' judgements of xref proposals, and the profiles that confirmed pairs make.

A judgement is never edited: judging a pair again adds a row and the newest counts. What each verdict does on
the next run of the model:

- ``same``: the pair is confirmed and joins one profile with every pair confirmed through either person
  (transitive closure); a proposal between two persons already in one profile is not asked again.
- ``not_same``: the pair leaves the queue while the evidence it was judged on (the pair's fingerprint) stays
  as it was; when a record gains or changes a compared field, the pair comes back, marked as reopened.
- ``unsure``: the pair stays in the queue with the judgement beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigilant.cases.access import Actor, actor_name, agency_of, audit, require
from vigilant.cases.errors import InvalidRecordError, RecordNotFoundError
from vigilant.cases.people import load_person
from vigilant.links.xref_models import XrefJudgementRow, XrefProposalRow
from vigilant.security.audit import RecordChanged
from vigilant.security.rights import Permission
from vigilant.store import Database
from vigilant.store.models import utcnow

Pair = tuple[int, int]


class Verdict(StrEnum):
    SAME = "same"
    NOT_SAME = "not_same"
    UNSURE = "unsure"


def parse_verdict(text: str) -> Verdict:
    try:
        return Verdict(text.strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        raise InvalidRecordError(
            f"unknown judgement {text!r}", hint="judge a pair same, not-same or unsure"
        ) from None


def latest_judgements(s: Session, pairs: Iterable[Pair] | None = None) -> dict[Pair, XrefJudgementRow]:
    """The newest judgement of each pair (of ``pairs``, or of every pair ever judged)."""
    newest = select(func.max(XrefJudgementRow.id)).group_by(
        XrefJudgementRow.person_a_id, XrefJudgementRow.person_b_id
    )
    rows = s.scalars(select(XrefJudgementRow).where(XrefJudgementRow.id.in_(newest)))
    found = {(r.person_a_id, r.person_b_id): r for r in rows}
    if pairs is None:
        return found
    return {p: found[p] for p in pairs if p in found}


class Profiles:
    """Union-find over confirmed pairs: each person's profile is every person confirmed the same, directly or
    through others. A profile is named by its lowest person id."""

    def __init__(self, confirmed: Iterable[Pair]) -> None:
        self._parent: dict[int, int] = {}
        for a, b in confirmed:
            self._union(a, b)

    def _find(self, x: int) -> int:
        root = x
        while self._parent.get(root, root) != root:
            root = self._parent[root]
        while self._parent.get(x, x) != root:  # path compression
            self._parent[x], x = root, self._parent[x]
        return root

    def _union(self, a: int, b: int) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)

    def profile_of(self, person: int) -> int:
        return self._find(person)

    def members(self, person: int) -> list[int]:
        root = self._find(person)
        everyone = set(self._parent) | set(self._parent.values()) | {person}
        return sorted(p for p in everyone if self._find(p) == root)


def profiles(s: Session) -> Profiles:
    confirmed = [pair for pair, row in latest_judgements(s).items() if row.verdict == Verdict.SAME.value]
    return Profiles(confirmed)


def status_of(
    proposal: XrefProposalRow, judgement: XrefJudgementRow | None, linked: Profiles | None = None
) -> str:
    """open | reopened | unsure | same | not_same | same_profile (see the module's docstring)."""
    if judgement is None:
        if linked and linked.profile_of(proposal.person_a_id) == linked.profile_of(proposal.person_b_id):
            return "same_profile"
        return "open"
    if judgement.verdict == Verdict.NOT_SAME.value and judgement.fingerprint != proposal.fingerprint:
        return "reopened"
    return judgement.verdict


QUEUE_STATUSES = frozenset({"open", "reopened", "unsure"})


def judge(db: Database, actor: Actor, proposal_id: int, verdict: Verdict, reason: str) -> XrefJudgementRow:
    """Record an analyst's judgement of a proposal; both persons must be visible to the analyst."""
    require(actor, Permission.LINKS_JUDGE)
    if not reason.strip():
        raise InvalidRecordError("a judgement needs a reason", hint="say what decided it, e.g. --reason '…'")
    with db.session() as s:
        proposal = s.get(XrefProposalRow, proposal_id)
        if proposal is None:
            raise RecordNotFoundError(
                f"no xref proposal {proposal_id}", hint="list them: vigilant links xref"
            )
        try:
            load_person(s, actor, proposal.person_a_id)
            load_person(s, actor, proposal.person_b_id)
        except RecordNotFoundError:
            # The same answer whether the proposal is hidden or not: its other side is not disclosed.
            raise RecordNotFoundError(
                f"proposal {proposal_id} names a person you may not see",
                hint="contact the coordinator of the agency that holds the other record",
            ) from None
        row = XrefJudgementRow(
            person_a_id=proposal.person_a_id,
            person_b_id=proposal.person_b_id,
            verdict=verdict.value,
            reason=reason.strip(),
            fingerprint=proposal.fingerprint,
            match_weight=proposal.match_weight,
            judged_by=actor_name(actor),
            agency_id=agency_of(actor),
            judged_at=utcnow(),
        )
        s.add(row)
        s.flush()
        audit(
            s,
            actor,
            RecordChanged,
            change="create",
            object_type="xref_judgement",
            object_id=str(row.id),
            fields_changed=("verdict", "reason"),
        )
    return row


def history(s: Session, pair: Pair) -> list[XrefJudgementRow]:
    query = (
        select(XrefJudgementRow)
        .where(XrefJudgementRow.person_a_id == pair[0], XrefJudgementRow.person_b_id == pair[1])
        .order_by(XrefJudgementRow.id)
    )
    return list(s.scalars(query))


def by_pair(rows: Iterable[XrefProposalRow]) -> Mapping[Pair, XrefProposalRow]:
    return {(r.person_a_id, r.person_b_id): r for r in rows}
