"""Who may do what: roles, permissions, and the one table between them.

Services receive an :class:`Actor` as an argument and call :func:`require` before they act; the web layer
and the CLI never decide access on their own. This is the one caller type and the one check of the platform:
the web makes an Actor from the logged-in user, the CLI from whoever runs it (:meth:`Actor.cli`).

The table is written out in full (no inheritance between roles), so a reviewer reads each role's rights in
one place; ``docs/security.md`` shows it and a test keeps the two equal.
Agency scoping and distribution levels (which records an actor sees) are the record services' job: this
module answers only "may this role do this kind of thing at all", and whether the actor is scoped at all
(:attr:`Actor.sees_all`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from vigilant.errors import BadInputError
from vigilant.security.errors import PermissionDenied


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    INVESTIGATOR = "investigator"
    EXAMINER = "examiner"
    ANALYST = "analyst"
    REGISTRY_OFFICER = "registry_officer"
    VERIFIER = "verifier"
    AUDITOR = "auditor"


class Permission(StrEnum):
    LIBRARY_READ = "library.read"
    LIBRARY_IMPORT = "library.import"
    EVIDENCE_READ = "evidence.read"
    EVIDENCE_WRITE = "evidence.write"
    TRIAGE_RUN = "triage.run"
    TRIAGE_READ = "triage.read"
    MEDIA_VIEW = "media.view"
    LEADS_READ = "leads.read"
    LEADS_ASSIGN = "leads.assign"
    OPERATIONS_READ = "operations.read"
    OPERATIONS_MANAGE = "operations.manage"
    CASES_READ = "cases.read"
    CASES_WRITE = "cases.write"
    PERSONS_READ = "persons.read"
    PERSONS_WRITE = "persons.write"
    LEGAL_READ = "legal.read"
    LEGAL_WRITE = "legal.write"
    LINKS_READ = "links.read"  # link analysis: the graph across every case the caller may see
    LINKS_JUDGE = "links.judge"  # judge person-resolution (xref) proposals: same / not same / unsure
    REGISTRY_READ = "registry.read"
    REGISTRY_WRITE = "registry.write"
    REGISTRY_VERIFY = "registry.verify"  # record an address verification
    REGISTRY_QUERY = "registry.query"  # look a registrant up for a stated purpose
    RELEASE_PREVIEW = "release.preview"
    RELEASE_PUBLISH = "release.publish"
    AUDIT_READ = "audit.read"
    USERS_MANAGE = "users.manage"
    AGENCIES_MANAGE = "agencies.manage"


P = Permission
_READ_CASEWORK = {P.OPERATIONS_READ, P.CASES_READ, P.PERSONS_READ, P.LEGAL_READ}

PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    # Runs the platform: people, agencies, the library, and may read everything including the audit log.
    # Viewing material is left out on purpose: it is an examiner's or investigator's duty, not an admin right.
    Role.ADMIN: frozenset(set(Permission) - {P.MEDIA_VIEW}),
    # Runs an operation: assigns leads, manages participants, and publishes the release.
    Role.COORDINATOR: frozenset(
        _READ_CASEWORK
        | {P.OPERATIONS_MANAGE, P.CASES_WRITE, P.PERSONS_WRITE, P.LEGAL_WRITE}
        | {P.LEADS_READ, P.LEADS_ASSIGN, P.EVIDENCE_READ, P.TRIAGE_READ, P.LIBRARY_READ}
        | {P.RELEASE_PREVIEW, P.RELEASE_PUBLISH}
        | {P.LINKS_READ, P.LINKS_JUDGE}  # are the operation's accused linked? (issue 13)
    ),
    # Works cases: persons, legal process, seizures; reviews material found in them.
    Role.INVESTIGATOR: frozenset(
        _READ_CASEWORK
        | {P.CASES_WRITE, P.PERSONS_WRITE, P.LEGAL_WRITE}
        | {P.LEADS_READ, P.EVIDENCE_READ, P.EVIDENCE_WRITE, P.TRIAGE_READ, P.LIBRARY_READ, P.MEDIA_VIEW}
        | {P.REGISTRY_QUERY}  # with a purpose, recorded in the audit log
    ),
    # Handles evidence: imports hash sets, triages seized devices, confirms material.
    Role.EXAMINER: frozenset(
        {P.OPERATIONS_READ, P.CASES_READ}
        | {P.LIBRARY_READ, P.LIBRARY_IMPORT, P.EVIDENCE_READ, P.EVIDENCE_WRITE}
        | {P.TRIAGE_RUN, P.TRIAGE_READ, P.MEDIA_VIEW}
    ),
    # Reads across the operation to link and count; changes nothing and sees no material.
    Role.ANALYST: frozenset(
        _READ_CASEWORK
        | {P.LEADS_READ, P.EVIDENCE_READ, P.TRIAGE_READ, P.LIBRARY_READ, P.RELEASE_PREVIEW}
        | {P.LINKS_READ, P.LINKS_JUDGE}  # judging a proposal changes no record: it is the analysis
    ),
    # Keeps the sex-offender registry linkage; reads the persons and cases it links to.
    Role.REGISTRY_OFFICER: frozenset(
        {P.REGISTRY_READ, P.REGISTRY_WRITE, P.REGISTRY_VERIFY, P.PERSONS_READ, P.CASES_READ}
    ),
    # Checks that registrants live and work where they said (OffenderWatch's verify-only right): records
    # verifications, and sees of a registrant only what a visit needs.
    Role.VERIFIER: frozenset({P.REGISTRY_VERIFY}),
    # Reads the audit log and nothing else: an auditor reviews access, not the cases.
    Role.AUDITOR: frozenset({P.AUDIT_READ}),
}


@dataclass(frozen=True)
class Actor:
    """The caller, handed to every service. ``user_id`` is None for the server's own CLI."""

    user_id: int | None
    username: str
    roles: frozenset[Role]
    agency_id: int | None
    source: str | None = None  # client IP address, or "cli"

    @classmethod
    def cli(
        cls, os_user: str, *, agency_id: int | None = None, roles: Iterable[str] = (Role.ADMIN,)
    ) -> Actor:
        """The caller on the server's command line: an administrator by default, since whoever runs the CLI
        already holds the database; with ``agency_id`` and ``roles`` (``vigilant cases --agency --role``), a
        member of that agency, scoped like a user of the web. An unknown role name is refused."""
        roles_ = parse_roles(roles)
        return cls(user_id=None, username=os_user, roles=roles_, agency_id=agency_id, source="cli")

    @property
    def sees_all(self) -> bool:
        """True for the server's own CLI acting for no agency: it reads the database directly anyway, so
        agency scoping would protect nothing. A logged-in user (``user_id`` set) is always scoped."""
        return self.user_id is None and self.agency_id is None

    @property
    def permissions(self) -> frozenset[Permission]:
        return permissions_of(self.roles)

    def may(self, permission: Permission) -> bool:
        return permission in self.permissions


def permissions_of(roles: Iterable[Role]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= PERMISSIONS[role]
    return frozenset(granted)


def require(actor: Actor, permission: Permission) -> None:
    """Raise :class:`PermissionDenied` unless one of the actor's roles grants ``permission``."""
    if not actor.may(permission):
        raise PermissionDenied(actor.username, str(permission))


def parse_roles(names: Iterable[str]) -> frozenset[Role]:
    """Roles from their names, refusing unknown ones with the list of known ones."""
    roles: set[Role] = set()
    for name in names:
        try:
            roles.add(Role(name))
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise BadInputError(f"unknown role {name!r}", hint=f"roles are: {known}") from None
    return frozenset(roles)
