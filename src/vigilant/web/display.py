"""What every page shows the same way: the menu a role may use, readable times, people by name, a file's
matches one line per library entry.

The menu lists only the pages the caller's roles may open: each entry names the permission its page's
service requires (the same one ``tests/web/test_matrix.py`` holds the route to), so a role never sees a
link that answers 403. Times are shown to the minute in UTC ("2026-12-07 14:03 UTC"): seconds and
microseconds help no one reading a page, and the audit log and reports keep the exact value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from jinja2 import Environment
from sqlalchemy import select

from vigilant.security.audit import AuditRecord
from vigilant.security.models import AuditEventRow, UserRow
from vigilant.security.rights import Actor, Permission
from vigilant.store import Database
from vigilant.triage.records import Hit
from vigilant.triage.reports._text import method_label

P = Permission


@dataclass(frozen=True)
class MenuItem:
    label: str
    href: str
    permission: Permission | None  # None: every logged-in caller (the dashboard says what it cannot show)


MENU: tuple[MenuItem, ...] = (
    MenuItem("Dashboard", "/", None),
    MenuItem("Operations", "/operations", P.OPERATIONS_READ),
    MenuItem("Cases", "/cases", P.CASES_READ),
    MenuItem("Persons", "/persons", P.PERSONS_READ),
    MenuItem("Links", "/links", P.LINKS_READ),
    MenuItem("Link path", "/links/path", P.LINKS_READ),
    MenuItem("Person xref", "/links/xref", P.LINKS_READ),
    MenuItem("Leads", "/leads", P.LEADS_READ),
    MenuItem("Evidence", "/evidence", P.EVIDENCE_READ),
    MenuItem("Evidence links", "/evidence-links", P.CASES_READ),
    MenuItem("Triage runs", "/triage/runs", P.TRIAGE_READ),
    MenuItem("Review", "/review", P.TRIAGE_READ),
    MenuItem("Library", "/library", P.LIBRARY_READ),
    MenuItem("Registry", "/registry", P.REGISTRY_READ),
    MenuItem("Registry alerts", "/registry/alerts", P.REGISTRY_READ),
    MenuItem("Registry map", "/registry/map", P.REGISTRY_READ),
    MenuItem("Verify address", "/registry/verify", P.REGISTRY_VERIFY),
    MenuItem("Registry look-up", "/registry/lookup", P.REGISTRY_QUERY),
    MenuItem("Audit log", "/audit", P.AUDIT_READ),
)


def menu_for(actor: Actor | None) -> list[MenuItem]:
    """The menu entries ``actor`` may open (none for no one)."""
    if actor is None:
        return []
    return [item for item in MENU if item.permission is None or actor.may(item.permission)]


def when(value: datetime | date | str | None, empty: str = "—") -> str:
    """A moment as "2026-12-07 14:03 UTC" (a naive one is taken as UTC), a day as "2026-12-07"."""
    if value is None or value == "":
        return empty
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)  # not a time: shown as it is
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def install(env: Environment) -> None:
    """Give the templates the menu and the ``when`` and ``by_entry`` filters."""
    env.globals["menu_for"] = menu_for
    env.filters["when"] = when
    env.filters["by_entry"] = by_entry


def audit_names(db: Database, events: Sequence[AuditRecord]) -> dict[int, str]:
    """Each event's author as a user name, by event number. Some services record the user's id as the
    author (the cases domain does), others the name: every event carries the user id beside it, so the
    page names people one way, the user name, whatever the service wrote."""
    seqs = [e.seq for e in events]
    if not seqs:
        return {}
    with db.session() as s:
        ids = dict(
            s.execute(
                select(AuditEventRow.seq, AuditEventRow.actor_id).where(AuditEventRow.seq.in_(seqs))
            ).all()
        )
        users = {i for i in ids.values() if i is not None}
        names = dict(s.execute(select(UserRow.id, UserRow.username).where(UserRow.id.in_(users))).all())
    return {e.seq: names.get(ids.get(e.seq) or -1, e.actor) for e in events}


@dataclass(frozen=True)
class EntryMatch:
    """One library entry that matched a file, with every way it matched (a file found by MD5, SHA-1 and
    SHA-256 is one entry found three ways, not three matches)."""

    hit: Hit  # the first hit: the set, entry, category and series are the same for all
    ways: tuple[str, ...]  # "md5", "sha1", "pdq d=4 (full picture)", "pdq d=7 (frame 12 at 4.0 s)"

    @property
    def perceptual(self) -> bool:
        """Whether the entry matched by PDQ or vPDQ only: then no digest of the file says which it is."""
        return not any(w.split(" ", 1)[0] in ("md5", "sha1", "sha256") for w in self.ways)

    @property
    def known_hashes(self) -> str:
        """The entry's hashes as the library holds them: ``MD5 … · SHA-1 … · SHA-256 … · PDQ …``."""
        h = self.hit
        pairs = (
            ("MD5", h.entry_md5),
            ("SHA-1", h.entry_sha1),
            ("SHA-256", h.entry_sha256),
            ("PDQ", h.entry_pdq),
        )
        return " · ".join(f"{name} {value.hex()}" for name, value in pairs if value is not None)


def _way(hit: Hit) -> str:
    text = hit.matched_on
    if hit.distance is not None and hit.matched_on != "vpdq":
        text += f" d={hit.distance}"
    method = method_label(hit)
    if method is not None:
        text += f" ({method})"
    if hit.frame is not None:
        at = f" at {hit.frame_seconds:.1f} s" if hit.frame_seconds is not None else ""
        text += f" (frame {hit.frame}{at})"
    return text


def by_entry(hits: Sequence[Hit]) -> list[EntryMatch]:
    """A file's hits grouped by the entry they matched (set and entry), in the order first seen; within an
    entry, exact hashes first (md5, sha1, sha256), then perceptual ones."""
    groups: dict[tuple[int, int], list[Hit]] = {}
    for hit in hits:
        groups.setdefault((hit.set_id, hit.entry_id), []).append(hit)
    return [
        EntryMatch(same[0], tuple(dict.fromkeys(_way(h) for h in sorted(same, key=_way_order))))
        for same in groups.values()
    ]


WAY_ORDER = ("md5", "sha1", "sha256", "pdq", "vpdq")  # exact hashes first, then perceptual ones


def _way_order(hit: Hit) -> tuple[int, str]:
    kind = hit.matched_on
    return (WAY_ORDER.index(kind) if kind in WAY_ORDER else len(WAY_ORDER), kind)
