"""The daily compliance sweep: every registrant's status as of a day, and an alert for each missed deadline.

A resumable job: registrants are taken in id order, a batch at a time; each batch's alerts, counts and
checkpoint (the last registrant id done) commit in one transaction, so a sweep killed at any point resumes
after its last committed batch and ends with the same alerts and counts as one never interrupted. Each
batch also stores its registrants' statuses (:mod:`vigilant.registry.statuses`), which the due list, the
dashboard and the alert queue read. Sweeping a day already swept with the same rules answers the finished
sweep.

A batch costs a fixed number of statements whatever its registrants missed: their facts in a few reads,
statuses computed in memory, the held alerts read once and the new ones inserted in bulk (a registrant with
years of missed reports has an alert per year; one read and insert each made 50,000 such registrants take
350 s of CPU).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from vigilant.registry.access import record
from vigilant.registry.alerts import NON_COMPLIANCE, NewAlert, raise_alerts
from vigilant.registry.compliance import Compliance, Status, compliance
from vigilant.registry.facts import load_facts
from vigilant.registry.models import RegistrantRow, RegistrySweepRow
from vigilant.registry.rules import RuleSet
from vigilant.registry.statuses import hold_changes
from vigilant.registry.statuses import store as store_statuses
from vigilant.security.audit import RecordChanged
from vigilant.security.rights import Actor, Permission, require
from vigilant.store import Database
from vigilant.store.models import utcnow

BATCH = 1000
RUNNING, FINISHED = "running", "finished"
_COUNTERS = {
    Status.COMPLIANT: "compliant",
    Status.DUE_SOON: "due_soon",
    Status.NON_COMPLIANT: "non_compliant",
    Status.ORDER_ENDED: "order_ended",
}


@dataclass(frozen=True)
class SweepState:
    id: int
    as_of: date
    rules: str
    status: str
    total: int
    done: int
    compliant: int
    due_soon: int
    non_compliant: int
    order_ended: int
    alerts_raised: int

    @classmethod
    def of(cls, row: RegistrySweepRow) -> SweepState:
        return cls(
            row.id, row.as_of, row.rules, row.status, row.total, row.done, row.compliant, row.due_soon,
            row.non_compliant, row.order_ended, row.alerts_raised,
        )  # fmt: skip


def _start(db: Database, actor: Actor, rules: RuleSet, as_of: date) -> int:
    with db.session() as s:
        row = s.scalars(
            select(RegistrySweepRow).where(
                RegistrySweepRow.as_of == as_of, RegistrySweepRow.rules == rules.regime.value
            )
        ).first()
        if row is not None:
            return row.id
        total = s.scalar(select(func.count()).select_from(RegistrantRow)) or 0
        row = RegistrySweepRow(
            as_of=as_of, rules=rules.regime.value, status=RUNNING, total=total, done=0, last_registrant_id=0,
            compliant=0, due_soon=0, non_compliant=0, order_ended=0, alerts_raised=0,
            started_by=actor.username, started_at=utcnow(),
        )  # fmt: skip
        s.add(row)
        s.flush()
        record(
            s, RecordChanged.by(actor, object_type="registry_sweep", object_id=str(row.id), change="create")
        )
        return row.id


def _batch(db: Database, sweep_id: int, rules: RuleSet, size: int) -> bool:
    """Sweep the next batch; False when none was left (the sweep is then marked finished)."""
    with db.session() as s:
        hold_changes(s)  # no registrant changes between reading their facts and storing their statuses
        row = s.get_one(RegistrySweepRow, sweep_id)
        batch = s.execute(
            select(RegistrantRow.id, RegistrantRow.office_agency_id)
            .where(RegistrantRow.id > row.last_registrant_id)
            .order_by(RegistrantRow.id)
            .limit(size)
        ).all()
        if not batch:
            row.status, row.finished_at = FINISHED, utcnow()
            row.total = row.done  # registrants added while it ran are the next day's
            return False
        facts = load_facts(s, [rid for rid, _ in batch])
        results: dict[int, Compliance] = {}
        counts: Counter[Status] = Counter()
        missed: list[NewAlert] = []
        for rid, office in batch:
            state = results[rid] = compliance(facts[rid], rules, row.as_of)
            counts[state.status] += 1
            if state.status is Status.NON_COMPLIANT:
                for o in state.overdue:
                    alert = NewAlert(
                        registrant_id=rid, office_agency_id=office, kind=NON_COMPLIANCE, key=o.key,
                        raised_on=row.as_of, rule=o.rule, due_on=o.due_on,
                        detail={"deadline": o.deadline.isoformat()},
                    )  # fmt: skip
                    missed.append(alert)
        for status, n in counts.items():
            setattr(row, _COUNTERS[status], getattr(row, _COUNTERS[status]) + n)
        row.alerts_raised += raise_alerts(s, missed)
        store_statuses(s, sweep_id=sweep_id, rules=rules, results=results)
        row.done += len(batch)
        row.last_registrant_id = batch[-1][0]
        return True


def sweep(
    db: Database,
    actor: Actor,
    *,
    rules: RuleSet,
    as_of: date,
    batch: int = BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> SweepState:
    """Run (or resume, or answer) the sweep of ``as_of``; ``progress(done, total)`` after each batch."""
    require(actor, Permission.REGISTRY_WRITE)
    sweep_id = _start(db, actor, rules, as_of)
    while True:
        with db.session() as s:
            row = s.get_one(RegistrySweepRow, sweep_id)
            if row.status == FINISHED:
                return SweepState.of(row)
        more = _batch(db, sweep_id, rules, batch)
        if progress is not None and more:
            with db.session() as s:
                row = s.get_one(RegistrySweepRow, sweep_id)
                progress(row.done, row.total)


def sweeps(db: Database, actor: Actor, *, limit: int = 30) -> list[SweepState]:
    """The latest sweeps, newest day first."""
    require(actor, Permission.REGISTRY_READ)
    with db.session() as s:
        rows = s.scalars(select(RegistrySweepRow).order_by(RegistrySweepRow.as_of.desc()).limit(limit))
        return [SweepState.of(r) for r in rows]
