"""The authorization matrix: every route × every role × own / other agency, and nobody logged in.

Expectations come from the documented role table (``vigilant.security.rights.PERMISSIONS``, shown in
docs/security.md) and one rule per route below. A route the app has but the table lacks fails the test, so a
new route cannot ship without a rule. Another agency's ``agency_only`` records must answer 404 (never 403,
which would confirm they exist), and their title must appear in no response body at all.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Mount

from tests.web.conftest import OTHER_PERSON, OTHER_TITLE, Clock, World, csrf, log_in
from vigilant.security.rights import PERMISSIONS, Permission, Role

P = Permission


@dataclass(frozen=True)
class Rule:
    permission: Permission | None  # None: any logged-in caller
    ok: int = 200  # the status of an allowed call
    public: bool = False  # /login and static files
    scoped: bool = False  # the path names a record: another agency's agency_only record is 404
    also: Permission | None = None  # a second permission that grants the route as well


RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/static"): Rule(None, public=True),
    ("GET", "/login"): Rule(None, public=True),
    ("POST", "/login"): Rule(None, public=True, ok=403),  # no login-form token in the matrix: refused
    ("POST", "/logout"): Rule(None, ok=303),
    ("GET", "/api/v1/openapi.json"): Rule(None),
    ("GET", "/api/v1/me"): Rule(None),
    ("GET", "/api/v1/library/sets"): Rule(P.LIBRARY_READ),
    ("POST", "/api/v1/library/lookup"): Rule(P.LIBRARY_READ),
    ("GET", "/api/v1/cases"): Rule(P.CASES_READ),
    ("POST", "/api/v1/cases"): Rule(P.CASES_WRITE, ok=201),
    ("GET", "/api/v1/cases/{case_id}"): Rule(P.CASES_READ, scoped=True),
    ("GET", "/api/v1/operations"): Rule(P.OPERATIONS_READ),
    ("GET", "/api/v1/operations/{operation_id}/figures"): Rule(P.OPERATIONS_READ, scoped=True),
    ("GET", "/api/v1/audit/events"): Rule(P.AUDIT_READ),
    ("GET", "/api/v1/tokens"): Rule(None),  # one's own tokens
    ("POST", "/api/v1/tokens"): Rule(None, ok=201),  # for oneself, with at most one's own roles
    # Someone else's token (the other agency's user): only user managers revoke it.
    ("DELETE", "/api/v1/tokens/{token_id}"): Rule(P.USERS_MANAGE, ok=204),
    ("GET", "/"): Rule(None),  # the dashboard says "no operations for your role" rather than failing
    ("GET", "/cases"): Rule(P.CASES_READ),
    ("GET", "/cases/new"): Rule(None),  # a blank form; the service checks cases.write when it is sent
    ("POST", "/cases/new"): Rule(P.CASES_WRITE, ok=303),
    ("GET", "/cases/{case_id}"): Rule(P.CASES_READ, scoped=True),
    ("GET", "/library"): Rule(P.LIBRARY_READ),
    ("POST", "/library"): Rule(P.LIBRARY_READ),
    ("GET", "/audit"): Rule(P.AUDIT_READ),
    ("POST", "/audit/anchor"): Rule(P.AUDIT_READ),
    ("POST", "/api/v1/audit/anchors"): Rule(P.AUDIT_READ, ok=201),
    ("POST", "/api/v1/audit/anchors/check"): Rule(P.AUDIT_READ),
    # A case's records: persons, legal process, charges, victims, the release (api_records, pages_records).
    ("GET", "/api/v1/offences"): Rule(None),  # the Criminal Code catalogue: public law
    ("GET", "/api/v1/cases/{case_id}/persons"): Rule(P.PERSONS_READ, scoped=True),
    ("POST", "/api/v1/cases/{case_id}/persons"): Rule(P.PERSONS_WRITE, ok=201, scoped=True),
    ("GET", "/api/v1/cases/{case_id}/charges"): Rule(P.LEGAL_READ, scoped=True),
    ("POST", "/api/v1/cases/{case_id}/charges"): Rule(P.LEGAL_WRITE, ok=201, scoped=True),
    ("GET", "/api/v1/cases/{case_id}/legal-process"): Rule(P.LEGAL_READ, scoped=True),
    ("POST", "/api/v1/cases/{case_id}/legal-process"): Rule(P.LEGAL_WRITE, ok=201, scoped=True),
    ("GET", "/api/v1/persons/{person_id}"): Rule(P.PERSONS_READ, scoped=True),
    ("GET", "/api/v1/operations/{operation_id}/release"): Rule(P.RELEASE_PREVIEW, scoped=True),
    ("POST", "/cases/{case_id}/persons"): Rule(P.PERSONS_WRITE, ok=303, scoped=True),
    ("POST", "/cases/{case_id}/legal-process"): Rule(P.LEGAL_WRITE, ok=303, scoped=True),
    ("POST", "/cases/{case_id}/legal-process/{process_id}/execution"): Rule(
        P.LEGAL_WRITE, ok=303, scoped=True
    ),
    ("POST", "/cases/{case_id}/charges"): Rule(P.LEGAL_WRITE, ok=303, scoped=True),
    ("POST", "/cases/{case_id}/victims"): Rule(P.PERSONS_WRITE, ok=303, scoped=True),
    ("POST", "/cases/{case_id}/seizures"): Rule(P.LEGAL_WRITE, ok=303, scoped=True),
    ("POST", "/cases/{case_id}/arrests"): Rule(P.LEGAL_WRITE, ok=303, scoped=True),
    ("POST", "/cases/{case_id}/bans"): Rule(P.PERSONS_WRITE, ok=303, scoped=True),
    ("GET", "/persons/{person_id}"): Rule(P.PERSONS_READ, scoped=True),
    ("GET", "/operations/{operation_id}/release"): Rule(P.RELEASE_PREVIEW, scoped=True),
    # Clearing a release flag: the world's own operation has no flag, so every caller the rule lets
    # through reaches the service, which refuses (422 API, 400 page) and changes nothing.
    ("POST", "/api/v1/operations/{operation_id}/release/flags"): Rule(P.RELEASE_PUBLISH, ok=422, scoped=True),
    ("POST", "/operations/{operation_id}/release/flags"): Rule(P.RELEASE_PUBLISH, ok=400, scoped=True),
    # Linking another agency's evidence item (web/api_evidence_links.py, pages_evidence_links.py). The world
    # has no request and no seized device: a caller the rule lets through reaches the service, which finds
    # no device in the own case (422 API, 400 page) and no request to decide (404), and changes nothing.
    ("GET", "/api/v1/evidence-links"): Rule(P.CASES_READ),
    ("POST", "/api/v1/cases/{case_id}/evidence-links"): Rule(P.LEGAL_WRITE, ok=422, scoped=True),
    ("POST", "/api/v1/evidence-links/{request_id}/decision"): Rule(P.CASES_WRITE, ok=404),
    ("GET", "/evidence-links"): Rule(P.CASES_READ),
    ("POST", "/cases/{case_id}/evidence-links"): Rule(P.LEGAL_WRITE, ok=400, scoped=True),
    ("POST", "/evidence-links/{request_id}/decision"): Rule(P.CASES_WRITE, ok=404),
    # Leads, evidence and triage runs (web/pages_leads.py, pages_triage.py, api_leads.py, api_triage.py).
    ("GET", "/api/v1/leads"): Rule(P.LEADS_READ),
    ("GET", "/api/v1/leads/{lead_id}"): Rule(P.LEADS_READ, scoped=True),
    ("GET", "/api/v1/evidence"): Rule(P.EVIDENCE_READ),
    ("GET", "/api/v1/triage/runs"): Rule(P.TRIAGE_READ),
    ("GET", "/api/v1/triage/runs/{run_id}"): Rule(P.TRIAGE_READ, scoped=True),
    ("GET", "/leads"): Rule(P.LEADS_READ),
    ("GET", "/leads/{lead_id}"): Rule(P.LEADS_READ, scoped=True),
    # Assigning the own lead to the own agency again is a recorded reassignment, so it repeats. Advancing
    # asks for the subscriber with no production order on file: every caller the rule lets through reaches
    # the lifecycle, which refuses (409, R v Spencer) and leaves the lead as it was for the next caller.
    ("POST", "/leads/{lead_id}/assign"): Rule(P.LEADS_ASSIGN, ok=303, scoped=True),
    ("POST", "/leads/{lead_id}/advance"): Rule(P.LEGAL_WRITE, ok=409, scoped=True),
    ("POST", "/api/v1/leads/{lead_id}/assign"): Rule(P.LEADS_ASSIGN, scoped=True),
    ("POST", "/api/v1/leads/{lead_id}/advance"): Rule(P.LEGAL_WRITE, ok=409, scoped=True),
    ("GET", "/evidence"): Rule(P.EVIDENCE_READ),
    ("GET", "/triage/runs"): Rule(P.TRIAGE_READ),
    ("GET", "/triage/runs/{run_id}"): Rule(P.TRIAGE_READ, scoped=True),
    ("GET", "/triage/runs/{run_id}/progress"): Rule(P.TRIAGE_READ, scoped=True),
    # A run's reports (web/pages_reports.py): the world's runs have no results on this server, so every
    # caller the rule lets through reaches the report, which refuses (409) and writes nothing.
    ("GET", "/triage/runs/{run_id}/report/{fmt}"): Rule(P.TRIAGE_READ, ok=409, scoped=True),
    # A library set's page (web/pages_library.py): the world's library is empty, so a caller the rule lets
    # through is told there is no such set (404); tests/web/test_pages_for_people.py shows a real one.
    ("GET", "/library/sets/{set_id}"): Rule(P.LIBRARY_READ, ok=404),
    # Starting and resuming runs. The world's evidence items name sources this server does not have, and
    # its runs have finished: every caller the rule lets through reaches the launcher, which refuses
    # (422: no source here; 409: finished), so nothing is started and the next caller finds the same.
    ("POST", "/evidence/{evidence_id}/triage"): Rule(P.TRIAGE_RUN, ok=422, scoped=True),
    ("POST", "/triage/runs/{run_id}/resume"): Rule(P.TRIAGE_RUN, ok=409, scoped=True),
    ("POST", "/triage/runs/{run_id}/pause"): Rule(P.TRIAGE_RUN, ok=409, scoped=True),  # finished: 409
    ("POST", "/triage/runs/{run_id}/cancel"): Rule(P.TRIAGE_RUN, ok=409, scoped=True),
    ("POST", "/api/v1/evidence/{evidence_id}/triage-runs"): Rule(P.TRIAGE_RUN, ok=422, scoped=True),
    ("POST", "/api/v1/triage/runs/{run_id}/resume"): Rule(P.TRIAGE_RUN, ok=409, scoped=True),
    ("POST", "/api/v1/triage/runs/{run_id}/pause"): Rule(P.TRIAGE_RUN, ok=409, scoped=True),  # finished: 409
    ("POST", "/api/v1/triage/runs/{run_id}/cancel"): Rule(P.TRIAGE_RUN, ok=409, scoped=True),
    # Operations and the person search (web/pages_browse.py, api_browse.py).
    ("GET", "/operations"): Rule(P.OPERATIONS_READ),
    ("GET", "/operations/{operation_id}"): Rule(P.OPERATIONS_READ, scoped=True),
    ("GET", "/api/v1/operations/{operation_id}"): Rule(P.OPERATIONS_READ, scoped=True),
    ("GET", "/persons"): Rule(P.PERSONS_READ),
    ("GET", "/api/v1/persons"): Rule(P.PERSONS_READ),
    # The registry (web/api_registry.py, pages_registry.py). The world has no registrant NO-SUCH-1 and no
    # alert 424242: a caller the rule lets through reaches the service, which finds none (404) and changes
    # nothing; the sweep of an empty registry finishes at once and answers the same to every caller.
    ("GET", "/api/v1/registry/registrants/{registry_number}"): Rule(P.REGISTRY_READ, ok=404),
    ("GET", "/api/v1/registry/due"): Rule(P.REGISTRY_READ),
    ("GET", "/api/v1/registry/dashboard"): Rule(P.REGISTRY_READ),
    ("GET", "/api/v1/registry/alerts"): Rule(P.REGISTRY_READ),
    ("POST", "/api/v1/registry/alerts/{alert_id}/assign"): Rule(P.REGISTRY_WRITE, ok=404),
    ("POST", "/api/v1/registry/alerts/{alert_id}/close"): Rule(P.REGISTRY_WRITE, ok=404),
    ("POST", "/api/v1/registry/registrants/{registry_number}/reports"): Rule(P.REGISTRY_WRITE, ok=404),
    ("POST", "/api/v1/registry/registrants/{registry_number}/verifications"): Rule(P.REGISTRY_VERIFY, ok=404),
    ("POST", "/api/v1/registry/sweeps"): Rule(P.REGISTRY_WRITE),
    ("GET", "/api/v1/registry/sweeps"): Rule(P.REGISTRY_READ),
    ("GET", "/registry"): Rule(P.REGISTRY_READ),
    ("GET", "/registry/registrants/{registry_number}"): Rule(P.REGISTRY_READ, ok=404),
    ("POST", "/registry/registrants/{registry_number}/reports"): Rule(P.REGISTRY_WRITE, ok=404),
    ("POST", "/registry/registrants/{registry_number}/verifications"): Rule(P.REGISTRY_VERIFY, ok=404),
    ("GET", "/registry/verify"): Rule(P.REGISTRY_VERIFY),
    ("GET", "/registry/alerts"): Rule(P.REGISTRY_READ),
    ("GET", "/registry/map"): Rule(P.REGISTRY_READ),  # registrants' homes: registry readers only
    ("GET", "/api/v1/registry/map"): Rule(P.REGISTRY_READ),
    ("POST", "/registry/alerts/{alert_id}/assign"): Rule(P.REGISTRY_WRITE, ok=404),
    ("POST", "/registry/alerts/{alert_id}/close"): Rule(P.REGISTRY_WRITE, ok=404),
    ("POST", "/api/v1/registry/lookups"): Rule(P.REGISTRY_READ, also=P.REGISTRY_QUERY, ok=404),
    ("GET", "/registry/lookup"): Rule(P.REGISTRY_QUERY),  # the investigator's form, as the menu offers it
    ("POST", "/registry/lookup"): Rule(P.REGISTRY_READ, also=P.REGISTRY_QUERY, ok=404),
    # Examiner review (web/api_review.py, pages_review.py). No review item 424242 exists: a caller the rule
    # lets through is told so (404). The world's runs have no results here: syncing reads nothing, the queue
    # is empty, and exporting or promoting finds no decision (422), so nothing changes for the next caller.
    ("POST", "/api/v1/review/runs/{run_id}/sync"): Rule(P.TRIAGE_READ, scoped=True),
    ("GET", "/api/v1/review/runs/{run_id}/queue"): Rule(P.TRIAGE_READ, scoped=True),
    ("GET", "/api/v1/review/runs/{run_id}/stacks"): Rule(P.TRIAGE_READ, scoped=True),
    ("GET", "/api/v1/review/runs/{run_id}/vics"): Rule(P.TRIAGE_READ, ok=422, scoped=True),
    ("POST", "/api/v1/review/runs/{run_id}/promote"): Rule(P.LIBRARY_IMPORT, ok=422, scoped=True),
    ("GET", "/api/v1/review/items/{item_id}/stack"): Rule(P.TRIAGE_READ, ok=404),
    ("GET", "/api/v1/review/items/{item_id}/thumbnail"): Rule(P.MEDIA_VIEW, ok=404),
    ("GET", "/api/v1/review/items/{item_id}/clear"): Rule(P.MEDIA_VIEW, ok=404),
    ("POST", "/api/v1/review/items/{item_id}/reveal"): Rule(P.MEDIA_VIEW, ok=404),
    ("POST", "/api/v1/review/items/{item_id}/decision"): Rule(P.MEDIA_VIEW, ok=404),
    ("POST", "/api/v1/review/undo"): Rule(P.MEDIA_VIEW, ok=404),  # the caller has no decision to undo
    ("GET", "/api/v1/review/exposure"): Rule(P.MEDIA_VIEW),
    ("GET", "/api/v1/review/exposure/unit"): Rule(P.OPERATIONS_MANAGE),  # numbers only, never material
    ("GET", "/api/v1/review/operations/{operation_id}/figures"): Rule(P.OPERATIONS_READ, scoped=True),
    ("GET", "/review"): Rule(P.TRIAGE_READ),
    ("GET", "/review/runs/{run_id}"): Rule(P.TRIAGE_READ, scoped=True),
    # The identification board: no series "matrix" exists, so marking its victim is refused (404).
    ("GET", "/api/v1/review/board"): Rule(P.TRIAGE_READ),
    ("POST", "/api/v1/review/board/identified"): Rule(P.PERSONS_WRITE, ok=404),
    # Link analysis (web/api_links.py): links.read (analysts, coordinators); xref judgements links.judge. The
    # matrix world builds no graph: an entity or a path answers 404 to a caller the rule lets through.
    ("GET", "/api/v1/links"): Rule(P.LINKS_READ),
    ("GET", "/api/v1/links/entities/{entity}"): Rule(P.LINKS_READ, ok=404),
    ("GET", "/api/v1/links/path/{source}/{target}"): Rule(P.LINKS_READ, ok=404),
    ("GET", "/api/v1/links/operations/{operation_id}/network"): Rule(P.LINKS_READ, scoped=True),
    ("GET", "/api/v1/links/status"): Rule(P.LINKS_READ),  # freshness, the last xref job, counts only
    ("POST", "/api/v1/links/build"): Rule(P.LINKS_READ, ok=201),
    ("GET", "/api/v1/links/export"): Rule(P.LINKS_READ),
    ("GET", "/links"): Rule(P.LINKS_READ),  # web/pages_links.py: the strongest links, none in the matrix
    ("GET", "/links/path"): Rule(P.LINKS_READ),  # the form, no entity chosen
    ("GET", "/links/operations/{operation_id}"): Rule(P.LINKS_READ, scoped=True),  # its network page
    # Person resolution (web/api_xref.py). There is no proposal 424242: a caller the rule lets through
    # reaches the service, which finds none to show or judge (404) and records nothing.
    ("GET", "/api/v1/links/xref"): Rule(P.LINKS_READ),
    ("POST", "/api/v1/links/xref/run"): Rule(P.LINKS_READ, ok=201),
    ("GET", "/api/v1/links/xref/{proposal_id}"): Rule(P.LINKS_READ, ok=404),
    ("POST", "/api/v1/links/xref/{proposal_id}/judgement"): Rule(P.LINKS_JUDGE, ok=404),
    ("GET", "/api/v1/links/xref/profile/{person_id}"): Rule(P.LINKS_READ, scoped=True),
    ("GET", "/links/xref"): Rule(P.LINKS_READ),
    ("POST", "/links/xref/run"): Rule(P.LINKS_READ, ok=303),
    ("POST", "/links/xref/{proposal_id}/judgement"): Rule(P.LINKS_JUDGE, ok=404),
    # The registry's places (web/api_registry_places.py): proximity and cross-checks for registry readers
    # and, with a purpose, investigators; there is no check VSC-0000-NONE to show, print or confirm (404).
    ("POST", "/api/v1/registry/near"): Rule(P.REGISTRY_READ, also=P.REGISTRY_QUERY),
    ("GET", "/api/v1/registry/facilities"): Rule(P.REGISTRY_READ),
    ("POST", "/api/v1/registry/crosschecks"): Rule(P.REGISTRY_READ, also=P.REGISTRY_QUERY, ok=201),
    ("POST", "/api/v1/registry/crosschecks/employment"): Rule(P.REGISTRY_WRITE, ok=201),
    ("GET", "/api/v1/registry/matches"): Rule(P.REGISTRY_READ),
    ("GET", "/api/v1/cases/{case_id}/registry-matches"): Rule(P.CASES_READ, scoped=True),
    ("GET", "/api/v1/persons/{person_id}/registry-matches"): Rule(P.PERSONS_READ, scoped=True),
    # The case and person pages' registry-match panels: to those who may see registry data, in cases they see.
    ("GET", "/cases/{case_id}/registry-matches"): Rule(P.REGISTRY_READ, also=P.REGISTRY_QUERY, scoped=True),
    ("GET", "/persons/{person_id}/registry-matches"): Rule(
        P.REGISTRY_READ, also=P.REGISTRY_QUERY, scoped=True
    ),
    ("POST", "/api/v1/registry/vsc"): Rule(P.REGISTRY_WRITE, ok=201),
    ("GET", "/api/v1/registry/vsc/{reference}"): Rule(P.REGISTRY_READ, ok=404),
    ("GET", "/api/v1/registry/vsc/{reference}/letter"): Rule(P.REGISTRY_READ, ok=404),
    ("POST", "/api/v1/registry/vsc/{reference}/confirmation"): Rule(P.REGISTRY_WRITE, ok=404),
}


def app_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path) of every route, walking the routers FastAPI includes (they are not flat)."""
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            for context in contexts():
                for method in sorted(context.methods or ()):
                    yield method, context.path
        elif isinstance(route, Mount):
            yield "GET", route.path
        else:
            for method in sorted(getattr(route, "methods", None) or ()):
                yield method, route.path  # type: ignore[attr-defined]


def allowed(role: Role, permission: Permission | None) -> bool:
    return permission is None or permission in PERMISSIONS[role]


@dataclass
class Requests:
    """How to call each route: the URL with its record ids, and a body where it needs one."""

    world: World
    serial: Iterator[int]

    def url(self, path: str, other: bool) -> str:
        w = self.world
        return (
            path.replace("{case_id}", str(w.other_case if other else w.own_case))
            .replace("{operation_id}", str(w.other_operation if other else w.own_operation))
            .replace("{lead_id}", str(w.other_lead if other else w.own_lead))
            .replace("{run_id}", str(w.other_run if other else w.own_run))
            .replace("{evidence_id}", str(w.other_evidence if other else w.own_evidence))
            .replace("{person_id}", str(w.other_person if other else w.own_person))
            .replace("{process_id}", str(w.other_process if other else w.own_process))
            .replace("{token_id}", str(w.other_token))
            .replace("{request_id}", "424242")  # no such evidence link request
            .replace("{item_id}", "424242")  # no such review item
            .replace("{proposal_id}", "424242")  # no such xref proposal
            .replace("{entity}", "person:424242")  # no such entity in the link graph
            .replace("{source}", "person:424242")
            .replace("{target}", "person:424243")
            .replace("{reference}", "VSC-0000-NONE")  # no such vulnerable-sector check
            .replace("{registry_number}", "NO-SUCH-1")  # no such registrant
            .replace("{alert_id}", "424242")  # no such registry alert
            .replace("{fmt}", "csv")
            .replace("{set_id}", "1")
            .replace("/static", "/static/app.css")
        )

    def body(self, method: str, path: str, token: str) -> dict[str, Any]:
        headers = {"X-CSRF-Token": token}
        if method == "DELETE":
            return {"headers": headers}
        if method != "POST":
            return {}
        n = next(self.serial)
        bodies: dict[str, Callable[[], dict[str, Any]]] = {
            "/api/v1/cases": lambda: {
                "json": {"number": f"M-{n}", "title": f"Matrix {n}"},
                "headers": headers,
            },
            "/api/v1/tokens": lambda: {"json": {"name": f"matrix {n}"}, "headers": headers},
            "/api/v1/library/lookup": lambda: {
                "json": {"hashes": [hashlib.md5(b"x").hexdigest()]},
                "headers": headers,
            },
            "/cases/new": lambda: {"data": {"number": f"M-{n}", "title": f"Matrix {n}", "csrf_token": token}},
            "/library": lambda: {"data": {"hashes": hashlib.sha1(b"x").hexdigest(), "csrf_token": token}},
            "/login": lambda: {"data": {"username": "nobody", "password": "p" * 12, "totp": "123456"}},
            "/logout": lambda: {"data": {"csrf_token": token}},
            "/audit/anchor": lambda: {"data": {"note": f"matrix {n}", "csrf_token": token}},
            "/api/v1/audit/anchors": lambda: {"json": {"note": f"matrix {n}"}, "headers": headers},
            "/api/v1/audit/anchors/check": lambda: {
                "json": {
                    "format": "vigilant-audit-anchor/1",
                    "seq": 1,
                    "hash": "0" * 64,
                    "at": "2026-03-01T10:00Z",
                },
                "headers": headers,
            },
            # A case's records: the same body for own and other case; another agency's case answers 404.
            "/api/v1/cases/{case_id}/persons": lambda: {
                "json": {"given_names": "Matrix", "surname": f"Person{n}", "role": "suspect"},
                "headers": headers,
            },
            "/api/v1/cases/{case_id}/charges": lambda: {
                "json": {
                    "person_id": self.world.own_person,
                    "offence": "163.1(4)",
                    "offence_from": "2026-01-10",
                },
                "headers": headers,
            },
            "/api/v1/cases/{case_id}/legal-process": lambda: {
                "json": {
                    "kind": "preservation_demand",
                    "target": f"provider {n}",
                    "issued_at": "2026-03-01T10:00Z",
                },
                "headers": headers,
            },
            "/cases/{case_id}/persons": lambda: {
                "data": {
                    "given_names": "Matrix",
                    "surname": f"Page{n}",
                    "role": "accused",
                    "date_of_birth": "1990-01-01",
                    "csrf_token": token,
                },
            },
            "/cases/{case_id}/legal-process": lambda: {
                "data": {
                    "kind": "preservation_demand",
                    "target": f"provider {n}",
                    "issued_at": "2026-03-01T10:00",
                    "csrf_token": token,
                },
            },
            "/cases/{case_id}/legal-process/{process_id}/execution": lambda: {
                "data": {
                    "executed_at": "2026-03-02T08:00",
                    "where": "12 Example St",
                    "by": "Cst. Matrix",
                    "csrf_token": token,
                },
            },
            "/cases/{case_id}/charges": lambda: {
                "data": {
                    "person_id": str(self.world.own_person),
                    "offence": "cp-possessing",
                    "offence_from": "2026-01-10",
                    "csrf_token": token,
                },
            },
            "/cases/{case_id}/seizures": lambda: {
                "data": {
                    "seized_at": "2026-03-02T08:30",
                    "where": "12 Example St",
                    "by": "Cst. Matrix",
                    "description": f"phone {n}",
                    "serial": f"SN-{n}",
                    "csrf_token": token,
                },
            },
            "/cases/{case_id}/arrests": lambda: {
                "data": {
                    "person_id": str(self.world.own_person),
                    "arrested_at": "2026-03-02T09:00",
                    "by": "Cst. Matrix",
                    "csrf_token": token,
                },
            },
            "/cases/{case_id}/bans": lambda: {
                "data": {
                    "person_id": str(self.world.own_person),
                    "authority": "486.4(1)",
                    "csrf_token": token,
                },
            },
            "/leads/{lead_id}/assign": lambda: {
                "data": {"agency_id": str(self.world.own_agency), "csrf_token": token},
            },
            "/leads/{lead_id}/advance": lambda: {
                "data": {"step": "subscriber_identified", "csrf_token": token},
            },
            "/api/v1/leads/{lead_id}/assign": lambda: {
                "json": {"agency_id": self.world.own_agency},
                "headers": headers,
            },
            "/api/v1/leads/{lead_id}/advance": lambda: {
                "json": {"step": "subscriber_identified"},
                "headers": headers,
            },
            "/evidence/{evidence_id}/triage": lambda: {
                "data": {"identify": "on", "pdq": "on", "archive_depth": "3", "csrf_token": token},
            },
            "/triage/runs/{run_id}/resume": lambda: {"data": {"csrf_token": token}},
            "/triage/runs/{run_id}/pause": lambda: {"data": {"csrf_token": token}},
            "/triage/runs/{run_id}/cancel": lambda: {"data": {"csrf_token": token}},
            "/api/v1/evidence/{evidence_id}/triage-runs": lambda: {
                "json": {"pdq": False},
                "headers": headers,
            },
            "/api/v1/triage/runs/{run_id}/resume": lambda: {"headers": headers},
            "/api/v1/triage/runs/{run_id}/pause": lambda: {"headers": headers},
            "/api/v1/triage/runs/{run_id}/cancel": lambda: {"headers": headers},
            "/api/v1/registry/lookups": lambda: {
                "json": {"registry_number": "NO-SUCH-1", "purpose": f"matrix {n}"},
                "headers": headers,
            },
            "/api/v1/registry/alerts/{alert_id}/assign": lambda: {
                "json": {"to": "Cst. Matrix"},
                "headers": headers,
            },
            "/api/v1/registry/alerts/{alert_id}/close": lambda: {
                "json": {"outcome": "complied"},
                "headers": headers,
            },
            "/api/v1/registry/registrants/{registry_number}/reports": lambda: {
                "json": {"kind": "annual", "reported_on": "2026-03-01"},
                "headers": headers,
            },
            "/api/v1/registry/registrants/{registry_number}/verifications": lambda: {
                "json": {"address_id": 1, "verified_on": "2026-03-01", "outcome": "confirmed"},
                "headers": headers,
            },
            "/api/v1/registry/sweeps": lambda: {"json": {"as_of": "2026-03-01"}, "headers": headers},
            "/registry/registrants/{registry_number}/reports": lambda: {
                "data": {"kind": "annual", "reported_on": "2026-03-01", "csrf_token": token},
            },
            "/registry/registrants/{registry_number}/verifications": lambda: {
                "data": {
                    "address_id": "1",
                    "verified_on": "2026-03-01",
                    "outcome": "confirmed",
                    "csrf_token": token,
                },
            },
            "/registry/lookup": lambda: {
                "data": {"number": "NO-SUCH-1", "purpose": f"matrix {n}", "csrf_token": token},
            },
            "/registry/alerts/{alert_id}/assign": lambda: {
                "data": {"to": "Cst. Matrix", "csrf_token": token},
            },
            "/registry/alerts/{alert_id}/close": lambda: {
                "data": {"outcome": "complied", "csrf_token": token},
            },
            "/api/v1/review/runs/{run_id}/sync": lambda: {"headers": headers},
            "/api/v1/review/runs/{run_id}/promote": lambda: {
                "json": {"name": f"matrix {n}"},
                "headers": headers,
            },
            "/api/v1/review/items/{item_id}/reveal": lambda: {
                "json": {"reason": "matrix"},
                "headers": headers,
            },
            "/api/v1/review/items/{item_id}/decision": lambda: {
                "json": {"category": "1"},
                "headers": headers,
            },
            "/api/v1/review/undo": lambda: {"headers": headers},
            "/api/v1/review/board/identified": lambda: {
                "json": {
                    "series": "matrix",
                    "case_id": self.world.own_case,
                    "person_id": self.world.own_person,
                    "identified_on": "2026-03-01",
                },
                "headers": headers,
            },
            "/api/v1/operations/{operation_id}/release/flags": lambda: {
                "json": {"person_id": self.world.own_person, "reason": "matrix"},
                "headers": headers,
            },
            "/operations/{operation_id}/release/flags": lambda: {
                "data": {"person_id": str(self.world.own_person), "reason": "matrix", "csrf_token": token},
            },
            "/api/v1/cases/{case_id}/evidence-links": lambda: {
                "json": {
                    "device_id": 424242,
                    "evidence_item_id": self.world.own_evidence,
                    "reason": "matrix",
                },
                "headers": headers,
            },
            "/api/v1/evidence-links/{request_id}/decision": lambda: {
                "json": {"decision": "grant", "reason": "matrix"},
                "headers": headers,
            },
            "/cases/{case_id}/evidence-links": lambda: {
                "data": {"device_id": "", "evidence_item_id": "1", "reason": "matrix", "csrf_token": token},
            },
            "/evidence-links/{request_id}/decision": lambda: {
                "data": {"decision": "grant", "reason": "matrix", "csrf_token": token},
            },
            "/api/v1/links/xref/run": lambda: {"headers": headers},
            "/links/xref/run": lambda: {"data": {"csrf_token": token}},
            "/links/xref/{proposal_id}/judgement": lambda: {
                "data": {"verdict": "same", "reason": "matrix", "csrf_token": token},
            },
            "/api/v1/links/build": lambda: {"headers": headers},
            "/api/v1/registry/near": lambda: {
                "json": {"radius_m": 100, "purpose": "matrix check", "latitude": 44.6, "longitude": -79.4},
                "headers": headers,
            },
            "/api/v1/registry/crosschecks": lambda: {
                "json": {"purpose": "matrix check", "case_id": self.world.own_case},
                "headers": headers,
            },
            "/api/v1/registry/crosschecks/employment": lambda: {
                "json": {"purpose": "matrix check"},
                "headers": headers,
            },
            "/api/v1/registry/vsc": lambda: {
                "json": {
                    "surname": f"Matrix{n}",
                    "given_names": "Pat",
                    "date_of_birth": "1990-01-01",
                    "sex": "X",
                    "organisation": "Matrix Daycare",
                    "consent": "form on file",
                },
                "headers": headers,
            },
            "/api/v1/registry/vsc/{reference}/confirmation": lambda: {
                "json": {"outcome": "excluded", "fingerprints_compared": True},
                "headers": headers,
            },
            "/api/v1/links/xref/{proposal_id}/judgement": lambda: {
                "json": {"verdict": "same", "reason": "matrix"},
                "headers": headers,
            },
            "/cases/{case_id}/victims": lambda: {
                "data": {
                    "person_id": str(self.world.own_person),
                    "identified_on": "2026-02-01",
                    "csrf_token": token,
                },
            },
        }
        return bodies[path]()


def expected(rule: Rule, role: Role | None, other: bool) -> int:
    if rule.public:
        return rule.ok
    if role is None:
        return 401
    if not allowed(role, rule.permission) and not (rule.also and allowed(role, rule.also)):
        return 403
    if rule.scoped and other:
        return 404
    return rule.ok


def unauthenticated_answer(path: str, status: int, location: str | None) -> int:
    """401 for the API; pages send the browser to /login, which counts as the same refusal."""
    if not path.startswith("/api/") and status == 303 and location == "/login":
        return 401
    return status


def test_every_route_every_role_every_agency(client: TestClient, world: World, clock: Clock) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    routes = sorted(set(app_routes(app)))
    missing = [r for r in routes if r not in RULES]
    assert not missing, f"routes without a rule in the authorization matrix: {missing}; add one to RULES"
    stale = [r for r in RULES if r not in routes]
    assert not stale, f"rules for routes the app no longer has: {stale}; remove them from RULES"

    calls = Requests(world, itertools.count())
    # Log out last: it ends the session the other calls use.
    ordered = sorted(routes, key=lambda r: r == ("POST", "/logout"))
    checked: list[tuple[str, str, str, str, int]] = []
    failures: list[str] = []

    def check(role: Role | None, method: str, path: str, other: bool) -> None:
        rule = RULES[(method, path)]
        token = csrf(client) if role is not None else ""
        response = client.request(method, calls.url(path, other), **calls.body(method, path, token))
        status = response.status_code
        if role is None:
            status = unauthenticated_answer(path, status, response.headers.get("location"))
        want = expected(rule, role, other)
        who = role.value if role else "nobody"
        where = "other agency" if other else "own agency"
        checked.append((who, method, path, where, status))
        if status != want:
            failures.append(f"{who} {method} {path} ({where}): {status}, expected {want}")
        if OTHER_TITLE in response.text:
            failures.append(f"{who} {method} {path} ({where}): LEAK of the other agency's case title")
        if OTHER_PERSON[1] in response.text:
            failures.append(f"{who} {method} {path} ({where}): LEAK of the other agency's person")

    for method, path in ordered:  # nobody logged in
        for other in (False, True) if RULES[(method, path)].scoped else (False,):
            check(None, method, path, other)
    for role in Role:
        client.cookies.clear()
        clock.advance(seconds=30)  # a fresh TOTP step for every login
        assert log_in(client, world.users[role], clock) == 303, f"{role} could not log in"
        for method, path in ordered:
            for other in (False, True) if RULES[(method, path)].scoped else (False,):
                check(role, method, path, other)

    assert not failures, "\n".join(failures)
    # Every kind of answer occurred: the matrix is not passing by calling the wrong things.
    assert {c[4] for c in checked} >= {200, 201, 303, 401, 403, 404}
    roles_checked = len({c for c in checked if c[0] != "nobody"})
    print(
        f"\nauthorization matrix: {len(routes)} routes, {len(Role)} roles + nobody; "
        f"{len(checked)} route × caller × agency combinations checked "
        f"({roles_checked} with a role, {len(checked) - roles_checked} unauthenticated)"
    )


def test_auditor_reads_no_cases(client: TestClient, world: World, clock: Clock) -> None:
    assert log_in(client, world.users[Role.AUDITOR], clock) == 303
    assert client.get("/api/v1/cases").status_code == 403
    assert client.get(f"/api/v1/cases/{world.own_case}").status_code == 403
    assert client.get("/api/v1/operations").status_code == 403
