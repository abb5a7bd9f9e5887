"""Each registrant's compliance as the last sweep computed it: written by the sweep, read by the due list, the
dashboard and the alert queue, so that they need not recompute every registrant.

A row holds the status, the next due date and the rule that produced them, as of the sweep's day, under one
rule set. A change to the registrant (a report, a move, an import, a verification) deletes its row in the
change's own transaction, after appending its audit event (:func:`forget`, called by
:func:`vigilant.registry.access.changed_registrant`; :func:`hold_changes` says why in that order), so a row
that exists is never stale; a registrant without a row for the day asked (new, or changed since the sweep)
is computed on the spot. A day that no finished sweep covers is computed for everyone, as before: the
as-of-any-day computation stays what the answer means, the table only saves recomputing it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import cast

from sqlalchemy import Row, Table, delete, insert, select
from sqlalchemy.orm import Session

from vigilant.registry.compliance import Compliance, Status, compliance
from vigilant.registry.facts import load_facts
from vigilant.registry.models import RegistrantRow, RegistrantStatusRow, RegistrySweepRow
from vigilant.registry.rules import RuleSet
from vigilant.security.audit import HEAD_ID
from vigilant.security.locking import lock_row
from vigilant.security.models import AuditHeadRow

CHUNK = 1000  # ids per IN list: SQLite allows 32,766 parameters a statement
FINISHED = "finished"


@dataclass(frozen=True)
class Statuses:
    """Compliance per registrant id as of ``as_of``; ``swept`` when a finished sweep of that day supplied it,
    with ``recomputed`` of them computed on the spot (changed or added since)."""

    as_of: date
    swept: bool
    by_registrant: dict[int, Compliance]
    recomputed: int

    @property
    def basis(self) -> str:
        """What a page or listing states about where the statuses come from."""
        if not self.swept:
            return f"computed as of {self.as_of.isoformat()}"
        changed = f"; {self.recomputed} changed since, recomputed" if self.recomputed else ""
        return f"as of the sweep of {self.as_of.isoformat()}{changed}"


def chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    """``ids`` in slices of at most :data:`CHUNK`, one IN list each."""
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def last_sweep_day(s: Session, rules: RuleSet) -> date | None:
    """The day of the newest finished sweep under ``rules``; None before the first."""
    return s.scalar(
        select(RegistrySweepRow.as_of)
        .where(RegistrySweepRow.rules == rules.regime.value, RegistrySweepRow.status == FINISHED)
        .order_by(RegistrySweepRow.as_of.desc())
        .limit(1)
    )


def swept_day(s: Session, rules: RuleSet, as_of: date) -> bool:
    """Whether a finished sweep under ``rules`` covers ``as_of``."""
    found = s.scalar(
        select(RegistrySweepRow.id).where(
            RegistrySweepRow.rules == rules.regime.value,
            RegistrySweepRow.as_of == as_of,
            RegistrySweepRow.status == FINISHED,
        )
    )
    return found is not None


def hold_changes(s: Session) -> None:
    """Hold back every audited change until this transaction ends, by locking the audit chain's head: a sweep
    batch then computes statuses from facts no change can alter before its rows commit. Every change to a
    registrant appends its audit event (taking this lock) *before* :func:`forget`, so a change made while a
    batch ran deletes the batch's row after it commits, never before."""
    lock_row(s, AuditHeadRow, HEAD_ID, touch=AuditHeadRow.seq)


def store(s: Session, *, sweep_id: int, rules: RuleSet, results: Mapping[int, Compliance]) -> None:
    """Replace the rows of these registrants under ``rules`` with the sweep's results (in the batch's
    transaction: a resumed sweep writes a batch again and ends with the same rows)."""
    ids = sorted(results)
    for chunk in chunks(ids):
        s.execute(
            delete(RegistrantStatusRow).where(
                RegistrantStatusRow.rules == rules.regime.value, RegistrantStatusRow.registrant_id.in_(chunk)
            )
        )
    if ids:
        # Core's insert, one executemany: the ORM's splits wherever consecutive rows differ in their Nones.
        rows = [_values(rid, sweep_id, rules, results[rid]) for rid in ids]
        s.execute(insert(cast(Table, RegistrantStatusRow.__table__)), rows)


def _values(rid: int, sweep_id: int, rules: RuleSet, c: Compliance) -> dict[str, object]:
    return {
        "registrant_id": rid, "rules": rules.regime.value, "sweep_id": sweep_id, "as_of": c.as_of,
        "status": c.status.value, "next_due": c.next_due, "rule": c.rule, "reason": c.reason,
        "order_ends_on": c.order_ends_on,
    }  # fmt: skip


def forget(s: Session, registrant_ids: Collection[int]) -> None:
    """Drop what the sweep said of these registrants (they changed): the next read computes them anew."""
    for chunk in chunks(sorted(registrant_ids)):
        s.execute(delete(RegistrantStatusRow).where(RegistrantStatusRow.registrant_id.in_(chunk)))


_COLUMNS = (
    RegistrantStatusRow.registrant_id,
    RegistrantStatusRow.as_of,
    RegistrantStatusRow.status,
    RegistrantStatusRow.next_due,
    RegistrantStatusRow.rule,
    RegistrantStatusRow.reason,
    RegistrantStatusRow.order_ends_on,
)


_StatusRow = Row[int, date, str, date | None, str | None, str, date | None]


def _of(row: _StatusRow) -> Compliance:
    _, as_of, status, next_due, rule, reason, ends = row
    return Compliance(as_of, Status(status), next_due, rule, reason, ends, ())


def computed(s: Session, rules: RuleSet, as_of: date, ids: Sequence[int]) -> dict[int, Compliance]:
    """Compliance of ``ids`` as of ``as_of``, computed from their facts (the as-of-any-day answer)."""
    found: dict[int, Compliance] = {}
    for chunk in chunks(list(ids)):
        facts = load_facts(s, chunk)
        found.update((rid, compliance(facts[rid], rules, as_of)) for rid in chunk if rid in facts)
    return found


def statuses(s: Session, rules: RuleSet, as_of: date, ids: Sequence[int] | None = None) -> Statuses:
    """Every registrant's (or those of ``ids``) compliance as of ``as_of``: from the sweep's rows when a
    finished sweep covers that day, each registrant without a row computed on the spot; else computed."""
    wanted = list(ids) if ids is not None else list(s.scalars(select(RegistrantRow.id)))
    if not swept_day(s, rules, as_of):
        return Statuses(as_of, False, computed(s, rules, as_of, wanted), 0)
    query = select(*_COLUMNS).where(
        RegistrantStatusRow.rules == rules.regime.value, RegistrantStatusRow.as_of == as_of
    )
    found: dict[int, Compliance] = {}
    if ids is None:
        found = {row[0]: _of(row) for row in s.execute(query)}
    else:
        for chunk in chunks(wanted):
            rows = s.execute(query.where(RegistrantStatusRow.registrant_id.in_(chunk)))
            found.update((row[0], _of(row)) for row in rows)
    missing = [rid for rid in wanted if rid not in found]
    found.update(computed(s, rules, as_of, missing))
    return Statuses(as_of, True, found, len(missing))
