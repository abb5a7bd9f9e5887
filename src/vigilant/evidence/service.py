"""Evidence items: added with their hashes, re-verified, every touch written to the chain of custody.

Every method takes the caller (:class:`~vigilant.security.rights.Actor`): reading needs ``evidence.read``,
adding, recording an agency and verifying need ``evidence.write``, and an item the caller may not see (through
the cases of its owner) answers "not found", from the CLI as from the web. The CLI's own actor sees every item
(:attr:`Actor.sees_all`). The chain of custody names the caller by user name.

Which items a caller sees, which agencies and cases exist, are the cases' rules: cases sit above evidence
(they link evidence items to seizures), so the service is given those rules (:class:`CaseRules`,
implemented by :class:`vigilant.cases.evidence_rules.CaseEvidenceRules`; every face builds it through
:func:`vigilant.cases.evidence_rules.evidence_service`) rather than importing them, which would make the two
packages import each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from vigilant.errors import BadInputError, ConflictError, NotFoundError
from vigilant.evidence.images import EwfVerification, ewf_verification
from vigilant.evidence.items import CustodyEvent, EvidenceInfo, custody_event, evidence_info
from vigilant.evidence.keys import KeyRing, UnlockEvent, VolumeKey
from vigilant.evidence.models import CustodyEventRow, EvidenceItemRow
from vigilant.evidence.sources import DirectoryManifest, E01Source, sources
from vigilant.evidence.unlock_check import try_keys
from vigilant.security.rights import Actor, Permission, require
from vigilant.store import Database
from vigilant.store.models import utcnow


@dataclass(frozen=True)
class AgencyRef:
    """An agency as the evidence service names it: its id and short name."""

    id: int
    short_name: str


class CaseRules(Protocol):
    """What the evidence service asks of the cases (see the module's note)."""

    def visible(self, actor: Actor) -> ColumnElement[bool]:
        """A clause over :class:`EvidenceItemRow`: the items the caller may see."""

    def ambiguous(self) -> ColumnElement[bool]:
        """A clause over :class:`EvidenceItemRow`: items recording no agency whose case number cases of
        several agencies carry."""

    def agency(self, s: Session, ref: str | int) -> AgencyRef:
        """The agency by id or short name (:class:`NotFoundError` if none)."""

    def agency_name(self, s: Session, agency_id: int) -> str | None: ...

    def case_exists(self, s: Session, number: str, agency_id: int | None) -> bool: ...

    def agency_names(self, db: Database, item_ids: list[int] | None = None) -> dict[int, str]:
        """For each item (of ``item_ids``; None: all) that records one, its agency's short name."""


class ReadFile(Protocol):
    """A file as a triage run read it (:class:`vigilant.triage.records.FileRecord`)."""

    @property
    def member(self) -> int: ...
    @property
    def path(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def sha256(self) -> bytes | None: ...


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return path.stat().st_size


class EvidenceService:
    def __init__(self, db: Database, rules: CaseRules) -> None:
        self.db = db
        self.rules = rules

    def add(
        self,
        path: Path,
        *,
        actor: Actor,
        label: str | None = None,
        case_number: str | None = None,
        agency: str | int | None = None,
        description: str | None = None,
        source_type: str | None = None,
        case_pending: bool = False,
        keys: list[VolumeKey] | None = None,
    ) -> EvidenceInfo:
        """Register a source, read-only, recording its acquisition hashes as they are now. ``agency`` (id or
        short name): the agency whose case number ``case_number`` is. The case must exist (of that agency,
        where given) unless ``case_pending`` says it is not opened yet: a mistyped number would otherwise
        leave the item named by no case, visible to no one. ``keys``: tried on its encrypted volumes, each
        outcome in the chain of custody (the kind of key, never the key: a run needs them given again)."""
        require(actor, Permission.EVIDENCE_WRITE)
        path = path.resolve()
        source = sources()[source_type] if source_type else sources().detect(path)
        with self.db.session() as s:
            existing = s.scalars(select(EvidenceItemRow).where(EvidenceItemRow.path == str(path))).first()
            if existing is not None:
                raise ConflictError(
                    f"{path} is already evidence item {existing.id} ({existing.label})",
                    hint="triage it with `vigilant triage run " + str(existing.id) + "`",
                )
        agency_row = None
        if agency is not None:
            if case_number is None:
                raise BadInputError(
                    "an agency is recorded for the item's case number: give the case number too",
                    hint="--case NUMBER --agency SHORT",
                )
            with self.db.session() as s:
                agency_row = self.rules.agency(s, agency)
        if case_number is not None and not case_pending:
            self._require_case(case_number, agency_row)
        hashes = source.acquisition_hashes(path)
        with self.db.session() as s:
            row = EvidenceItemRow(
                label=label or path.name,
                case_number=case_number,
                agency_id=agency_row.id if agency_row is not None else None,
                description=description,
                source_type=source.name,
                path=str(path),
                size=_size(path),
                hashes=hashes,
                added_at=utcnow(),
                added_by=actor.username,
            )
            s.add(row)
            s.flush()
            s.add(
                CustodyEventRow(
                    evidence_id=row.id,
                    at=utcnow(),
                    actor=actor.username,
                    action="added",
                    detail={
                        "hashes": hashes,
                        "source_type": source.name,
                        **({"agency": agency_row.short_name} if agency_row is not None else {}),
                        **({"case_pending": True} if case_number is not None and case_pending else {}),
                    },
                )
            )
            info = evidence_info(row)
        if keys:
            try_keys(
                source, path, KeyRing(keys, self.unlock_recorder(info.id, actor, {"at": "evidence add"}))
            )
        return info

    def unlock_recorder(
        self, evidence_id: int, actor: Actor, context: dict[str, Any]
    ) -> Callable[[UnlockEvent], None]:
        """What records each encrypted volume a walk of the item unlocks (or cannot) in its chain of custody:
        the volume, its encryption, the kind of key, and ``context`` (the run, or "evidence add")."""

        def record(event: UnlockEvent) -> None:
            action = "volume-unlocked" if event.unlocked else "volume-not-unlocked"
            self.record(evidence_id, actor, action, {**event.detail(), **context})

        return record

    def _require_case(self, number: str, agency: AgencyRef | None) -> None:
        with self.db.session() as s:
            if self.rules.case_exists(s, number, agency.id if agency is not None else None):
                return
        of = f" of agency {agency.short_name}" if agency is not None else ""
        raise NotFoundError(
            f"no case {number!r}{of}: nothing was registered",
            hint="check the number (`vigilant cases cases list`), or add --case-pending if the case is not "
            "opened yet (the chain of custody records it)",
        )

    def get(self, ref: str | int, actor: Actor) -> EvidenceInfo:
        """The item by id or label, if the caller may see it."""
        require(actor, Permission.EVIDENCE_READ)
        with self.db.session() as s:
            return evidence_info(self._row(s, ref, actor))

    def lookup(self, ref: str | int) -> EvidenceInfo:
        """The item by id or label, for a service that has checked its caller already (a triage run's
        worker, the run's report)."""
        with self.db.session() as s:
            return evidence_info(self._row(s, ref, None))

    def _row(self, s: Any, ref: str | int, actor: Actor | None) -> EvidenceItemRow:
        """The item by id, else by label; with ``actor``, among the items the caller sees only."""
        text = str(ref)
        visible = self.rules.visible(actor) if actor is not None else true()
        row = None
        if text.isdigit():
            row = s.scalars(select(EvidenceItemRow).where(EvidenceItemRow.id == int(text), visible)).first()
        if row is None:
            by_label = select(EvidenceItemRow).where(EvidenceItemRow.label == text, visible)
            row = s.scalars(by_label.order_by(EvidenceItemRow.id)).first()
        if row is None:
            raise NotFoundError(f"no evidence item {text!r}", hint="`vigilant evidence list` shows them")
        return row  # type: ignore[no-any-return]

    def set_agency(self, ref: str | int, agency: str | int, actor: Actor) -> str:
        """Record the agency whose case number the item's case number is (for items added without it);
        returns the agency's short name. Changing it is written to the chain of custody."""
        require(actor, Permission.EVIDENCE_WRITE)
        with self.db.session() as s:
            row = self._row(s, ref, actor)
            if row.case_number is None:
                raise BadInputError(
                    f"evidence item {row.id} has no case number for an agency to own",
                    hint="the item is linked to cases through the seized devices recorded in them",
                )
            new = self.rules.agency(s, agency)
            was = self.rules.agency_name(s, row.agency_id) if row.agency_id is not None else None
            if was == new.short_name:
                return new.short_name
            row.agency_id = new.id
            s.add(
                CustodyEventRow(
                    evidence_id=row.id,
                    at=utcnow(),
                    actor=actor.username,
                    action="agency-recorded",
                    detail={"case_number": row.case_number, "agency": new.short_name, "was": was},
                )
            )
            return new.short_name

    def agencies(self, actor: Actor) -> dict[int, str]:
        """Each item's agency (short name), for the items the caller sees that record one."""
        return self.rules.agency_names(self.db, [item.id for item in self.items(actor)])

    def items(self, actor: Actor, *, ambiguous: bool = False) -> list[EvidenceInfo]:
        """Every item the caller sees; with ``ambiguous``, only those that record no agency while cases of
        several agencies carry their case number (their number names no case until the lab records their
        agency)."""
        require(actor, Permission.EVIDENCE_READ)
        query = select(EvidenceItemRow).where(self.rules.visible(actor)).order_by(EvidenceItemRow.id)
        if ambiguous:
            query = query.where(self.rules.ambiguous())
        with self.db.session() as s:
            return [evidence_info(r) for r in s.scalars(query)]

    def record(self, evidence_id: int, actor: Actor, action: str, detail: dict[str, Any]) -> None:
        """Write a custody event, for a service that has checked its caller already (a run's start, its end,
        its report)."""
        with self.db.session() as s:
            s.add(
                CustodyEventRow(
                    evidence_id=evidence_id, at=utcnow(), actor=actor.username, action=action, detail=detail
                )
            )

    def custody(self, ref: str | int, actor: Actor) -> list[CustodyEvent]:
        """The item's chain of custody, oldest first, if the caller may see the item."""
        evidence_id = self.get(ref, actor).id
        query = select(CustodyEventRow).where(CustodyEventRow.evidence_id == evidence_id)
        with self.db.session() as s:
            return [custody_event(row) for row in s.scalars(query.order_by(CustodyEventRow.id))]

    def verify(self, ref: str | int, actor: Actor) -> dict[str, Any]:
        """Hash the source again and compare with what was recorded when it was added."""
        require(actor, Permission.EVIDENCE_WRITE)
        return self.verify_item(self.get(ref, actor), actor)

    def verify_item(self, info: EvidenceInfo, actor: Actor) -> dict[str, Any]:
        """:meth:`verify` of an item already looked up, for a service that has checked its caller (a triage
        run verifies the item it read, without looking it up again)."""
        require(actor, Permission.EVIDENCE_WRITE)
        source = sources()[info.source_type]
        if isinstance(source, E01Source):
            return self._verify_e01(info, source, actor)
        return self._compare(info, source.acquisition_hashes(Path(info.path)), actor, how="read again")

    def _compare(self, info: EvidenceInfo, now: dict[str, str], actor: Actor, how: str) -> dict[str, Any]:
        compared = {k: v for k, v in info.hashes.items() if k in now and isinstance(v, str)}
        mismatched = sorted(k for k, v in compared.items() if now[k] != v)
        result: dict[str, Any] = {
            "ok": bool(compared) and not mismatched,
            "compared": sorted(compared),
            "mismatched": mismatched,
            "hashes": now,
            "how": how,
        }
        self.record(info.id, actor, "verified" if result["ok"] else "verify-failed", result)
        return result

    def verify_from_records(
        self, info: EvidenceInfo, records: Iterable[ReadFile], actor: Actor
    ) -> dict[str, Any]:
        """Re-verify a folder from a triage run's records: they hold every file's SHA-256 as read now (for
        the run, which has checked its caller and looked the item up)."""
        manifest = DirectoryManifest()
        for record in records:
            if record.member == 0:
                manifest.add(record.path, record.size, record.sha256.hex() if record.sha256 else None)
        return self._compare(info, manifest.hashes(), actor, how="from the run's own reads")

    def verify_from_image_pass(
        self, info: EvidenceInfo, hashes: dict[str, str], actor: Actor
    ) -> dict[str, Any]:
        """Re-verify a raw or E01 image from the hashes of a triage run's one sequential read of it
        (:mod:`vigilant.evidence.one_pass`; for the run, which has checked its caller and looked the item
        up). An E01's media hashes are checked against the ones it stores, as :meth:`verify` does."""
        source = sources()[info.source_type]
        if isinstance(source, E01Source):
            with source.open_image(Path(info.path)) as image:
                stored = image.stored_hashes()
            check = ewf_verification(stored, hashes["md5"], hashes["sha1"], int(hashes["bytes"]))
            return self._ewf_result(info, check, actor)
        return self._compare(info, hashes, actor, how="in the run's own read of the image")

    def _verify_e01(self, info: EvidenceInfo, source: E01Source, actor: Actor) -> dict[str, Any]:
        # An E01 carries the hashes taken at acquisition: reading all its media and hashing it again is the
        # check (comparing the stored hashes with themselves would prove nothing).
        return self._ewf_result(info, source.verify(Path(info.path)), actor)

    def _ewf_result(self, info: EvidenceInfo, check: EwfVerification, actor: Actor) -> dict[str, Any]:
        result: dict[str, Any] = {
            "ok": check.ok,
            "compared": sorted(k for k in ("md5", "sha1") if getattr(check, f"stored_{k}", None)),
            "mismatched": [] if check.ok else ["media"],
            "hashes": {k: v for k, v in asdict(check).items() if isinstance(v, str)},
        }
        self.record(info.id, actor, "verified" if result["ok"] else "verify-failed", result)
        return result
