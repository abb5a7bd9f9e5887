"""What each menu page is for, in one line: the landing page of a role whose work is not operations lists its
pages with these, instead of greeting it with a refusal.

Keyed by the menu entry's address (:data:`vigilant.web.display.MENU`); a test keeps every entry described.
"""

from __future__ import annotations

PURPOSES: dict[str, str] = {
    "/operations": "Coordinated operations: their cases, figures and public releases.",
    "/cases": "Cases of your agency and those shared with it: persons, legal process, seizures, charges.",
    "/persons": "Persons recorded in the cases you may see, with their identifiers.",
    "/links": "Links between persons, devices, identifiers, cameras and leads across every case you may see.",
    "/links/path": "How two persons, devices or identifiers are linked: the shortest paths, edge by edge.",
    "/links/xref": "Persons recorded in different cases and agencies who may be one person: judge each pair.",
    "/leads": "P2P leads: IP addresses seen sharing known material, ranked and routed to agencies.",
    "/evidence": "Evidence items registered for triage, with their acquisition hashes and custody.",
    "/evidence-links": "Which case and seizure each evidence item belongs to.",
    "/triage/runs": "Triage runs: files hashed, identified and matched, with their reports.",
    "/review": "Examiner review: unknown pictures in stacks, blurred until revealed; victim identification.",
    "/library": "The known-material library: hash sets and their imports.",
    "/registry": "Offender registry: registrants per area and their compliance.",
    "/registry/alerts": "Registry alerts to work: missed reports, changes of address, proximity.",
    "/registry/map": "Registrants' addresses and nearby facilities on a map.",
    "/registry/verify": "Address verification sheets: record a visit's outcome.",
    "/registry/lookup": "Ask whether a person is a registrant (an audited query).",
    "/audit": "The audit log: every read and change, hash-chained, with its verification.",
}
