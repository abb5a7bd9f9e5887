"""Building the entity graph: a full build, and the incremental rebuilds the hooks call when a triage run
finishes, a case record is made, or observations are imported and leads rebuilt.

Each builder is a pure function of its sources and replaces all of its own links, so rebuilding the
builders a change concerns gives the same graph as a full build (tests/links/test_build.py checks it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from vigilant.cases.access import Actor, audit, require
from vigilant.links.builder import LinkBuilder, LinkSettings, Sources, Trigger
from vigilant.links.builders import BUILDERS
from vigilant.links.graph_store import remove_orphans, replace_links
from vigilant.security.audit import RecordChanged
from vigilant.security.rights import Permission
from vigilant.store import Database
from vigilant.store.models import utcnow


@dataclass
class BuildReport:
    links: dict[str, int] = field(default_factory=dict)  # builder -> links it holds now
    orphans_removed: int = 0

    @property
    def total(self) -> int:
        return sum(self.links.values())


def require_links(actor: Actor) -> None:
    """Link analysis has its own right (analysts and coordinators); what it shows of each record is still
    scoped by the record's agency and distribution (:mod:`vigilant.links.visibility`)."""
    require(actor, Permission.LINKS_READ)


def _run(db: Database, builders: Iterable[LinkBuilder], sources: Sources) -> BuildReport:
    report = BuildReport()
    chosen = list(builders)
    built = {b.name: b.build(sources) for b in chosen}  # read everything before writing anything
    with db.session() as s:
        now = utcnow()
        for b in chosen:
            report.links[b.name] = replace_links(s, b.name, built[b.name], now=now)
        report.orphans_removed = remove_orphans(s)
    return report


def build_all(
    db: Database,
    actor: Actor,
    observations_dir: Path,
    settings: LinkSettings | None = None,
    *,
    only: list[str] | None = None,
) -> BuildReport:
    """A full build: every builder (or those named in ``only``) over everything in the store."""
    require_links(actor)
    builders = [BUILDERS[n] for n in only] if only else list(BUILDERS)
    report = _run(db, builders, Sources(db, observations_dir, settings or LinkSettings()))
    with db.session() as s:
        audit(s, actor, RecordChanged, change="update", object_type="link_graph", object_id="all",
              fields_changed=tuple(report.links))  # fmt: skip
    return report


def rebuild_for(
    db: Database, trigger: str, observations_dir: Path, settings: LinkSettings | None = None
) -> BuildReport:
    """Rebuild the builders whose links ``trigger`` may change (a hook's call: no caller's rights apply, as
    the graph is derived data and every read of it is scoped to the reader)."""
    builders = [b for b in BUILDERS if trigger in b.triggers]
    return _run(db, builders, Sources(db, observations_dir, settings or LinkSettings()))


def rebuild_for_run(db: Database, run_id: int, observations_dir: Path) -> BuildReport:
    """After triage run ``run_id`` finished: shared files, cameras, and the devices' records."""
    del run_id  # the rarity weights of every pair change with each new device: the run's builders rebuild
    return rebuild_for(db, Trigger.RUN, observations_dir)


def rebuild_for_case(db: Database, case_id: int, observations_dir: Path) -> BuildReport:
    """After a person, identifier, seizure or other record of case ``case_id`` was recorded."""
    del case_id  # a record links to every other case's: the record builders rebuild as a whole
    return rebuild_for(db, Trigger.RECORD, observations_dir)


def rebuild_for_observations(db: Database, observations_dir: Path) -> BuildReport:
    """After observations were imported or leads rebuilt."""
    return rebuild_for(db, Trigger.OBSERVATIONS, observations_dir)
