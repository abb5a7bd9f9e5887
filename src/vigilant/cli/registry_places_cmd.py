"""``vigilant registry near | check | matches | vsc … | facilities …``: proximity, cross-checks,
vulnerable-sector checks and facility layers, on the registry's command group (added by :func:`register`)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from vigilant.cli.common import JsonOpt, console, console_err, database, print_listing
from vigilant.cli.registry_cmd import AgencyOpt, AsOfOpt, RoleOpt, _choice, _day, registry_actor
from vigilant.errors import ExitCode

if TYPE_CHECKING:
    from vigilant.registry.crosscheck import Match
    from vigilant.registry.vsc import VscAnswer

PurposeReq = Annotated[
    str, typer.Option("--purpose", help="Why you look (required; recorded in the audit log).")
]

facilities_app = typer.Typer(
    help="Facility layers: schools, daycares, parks, community centres.", no_args_is_help=True
)
vsc_app = typer.Typer(help="Vulnerable-sector checks: request, fingerprint confirmation, result letter.",
                      no_args_is_help=True)  # fmt: skip

_NEAR_COLUMNS = ["registry_number", "surname", "given_names", "kind", "line", "distance_m"]


def near(
    radius: Annotated[float, typer.Option("--radius", help="Metres (ellipsoidal WGS84).")],
    purpose: PurposeReq,
    lat: Annotated[
        float | None, typer.Option("--lat", help="Latitude of the centre (an incident's place).")
    ] = None,
    lon: Annotated[float | None, typer.Option("--lon", help="Longitude of the centre.")] = None,
    address: Annotated[
        int | None, typer.Option("--address", help="A registrant address id as the centre.")
    ] = None,
    facility: Annotated[int | None, typer.Option("--facility", help="A facility id as the centre.")] = None,
    facility_kind: Annotated[
        str | None,
        typer.Option("--facility-kind", help="Within --radius of ANY facility of this kind instead."),
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind", help="Address kinds; repeatable (default main, secondary, employment, volunteer)."
        ),
    ] = None,
    as_of: AsOfOpt = None,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Registrants with a current address within --radius of a point, address or facility, or of any
    facility of a kind (audited with the purpose)."""
    from vigilant.registry.models import AddressKind
    from vigilant.registry.places_models import FacilityKind
    from vigilant.registry.proximity import registrants_near, registrants_near_facilities

    kinds = {_choice(AddressKind, k, "address kind") for k in kind} if kind else None
    who, day = registry_actor(agency, role), _day(as_of)
    if facility_kind is not None:
        found = registrants_near_facilities(
            database(), who, facility_kind=_choice(FacilityKind, facility_kind, "facility kind"),
            distance_m=radius, purpose=purpose, as_of=day, kinds=kinds,
        )  # fmt: skip
        columns = [*_NEAR_COLUMNS, "facility_name"]
    else:
        found = registrants_near(
            database(), who, radius_m=radius, purpose=purpose, as_of=day, latitude=lat, longitude=lon,
            address_id=address, facility_id=facility, kinds=kinds,
        )  # fmt: skip
        columns = _NEAR_COLUMNS
    print_listing(
        [asdict(n) for n in found], as_json=as_json, columns=columns, empty="nobody within the radius"
    )


def _place(text: str) -> Any:
    from vigilant.registry.crosscheck import Place
    from vigilant.registry.errors import RegistryError

    label, _, where = text.rpartition("@")
    try:
        lat, lon = (float(x) for x in where.split(","))
    except ValueError:
        raise RegistryError(
            f"--place {text!r}: not LABEL@LAT,LON", hint='--place "12 Elm St@44.389,-79.690"'
        ) from None
    return Place(label or where, lat, lon)


def _match_row(m: Match) -> dict[str, Any]:
    return {
        "id": m.id, "kind": m.kind, "registry_number": m.registry_number, "case_id": m.case_id,
        "person_id": m.person_id, "facility_id": m.facility_id, "alert_id": m.alert_id, "basis": m.basis,
        "found_at": m.found_at,
    }  # fmt: skip


_MATCH_COLUMNS = ["id", "kind", "registry_number", "case_id", "person_id", "facility_id", "alert_id"]


def check(
    purpose: PurposeReq,
    case: Annotated[
        int | None, typer.Option("--case", help="One case's persons, identifiers and places.")
    ] = None,
    all_cases: Annotated[bool, typer.Option("--all-cases", help="Every case you may see.")] = False,
    place: Annotated[
        list[str] | None,
        typer.Option("--place", help="An investigation's address, LABEL@LAT,LON; repeatable."),
    ] = None,
    employment: Annotated[
        bool,
        typer.Option("--employment", help="Registrants' work and volunteering against facilities instead."),
    ] = False,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cross-check investigations against the registry (--case or --all-cases), or registrants' employment
    against facilities with children (--employment); new matches raise alerts and are listed."""
    from vigilant.registry.crosscheck import check_employment, check_investigations
    from vigilant.registry.errors import RegistryError

    if sum((case is not None, all_cases, employment)) != 1:
        raise RegistryError("say what to check", hint="one of --case N, --all-cases, --employment")
    who = registry_actor(agency, role)
    if employment:
        report = check_employment(database(), who, purpose=purpose)
    else:
        places = [_place(p) for p in place or ()]
        report = check_investigations(database(), who, purpose=purpose, case_id=case, places=places)
    if not as_json:
        console_err.print(
            f"cross-check {report.id}: {report.checked} compared, {len(report.new_matches)} new"
        )
    print_listing([_match_row(m) for m in report.new_matches], as_json=as_json, columns=_MATCH_COLUMNS,
                  empty="no new match")  # fmt: skip


def matches(
    case: Annotated[int | None, typer.Option("--case", help="Matches in this case.")] = None,
    person: Annotated[int | None, typer.Option("--person", help="Matches of this person.")] = None,
    purpose: Annotated[
        str | None, typer.Option("--purpose", help="Why (required of an investigator).")
    ] = None,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cross-check matches recorded for a case or a person (all, for a registry officer)."""
    from vigilant.registry.crosscheck import matches as recorded

    found = recorded(
        database(), registry_actor(agency, role), case_id=case, person_id=person, purpose=purpose
    )
    print_listing([_match_row(m) for m in found], as_json=as_json, columns=_MATCH_COLUMNS, empty="no matches")


@facilities_app.command("import")
def facilities_import(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A .csv or .geojson layer.")],
    kind: Annotated[str | None, typer.Option("--kind", help="Kind of every row without one.")] = None,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> int:
    """Import a facility layer; bad rows are refused with their line numbers (exit code 6)."""
    from vigilant.registry.facilities import import_facilities
    from vigilant.registry.places_models import FacilityKind

    default = _choice(FacilityKind, kind, "facility kind") if kind else None
    report = import_facilities(database(), registry_actor(agency, role), path, default_kind=default)
    row = {"source": report.source, "imported": report.imported, "updated": report.updated,
           "refused": [{"line": r.line, "reason": r.reason} for r in report.refused]}  # fmt: skip
    if as_json:
        print_listing([row], as_json=True)
    else:
        console.print(
            f"{path.name}: {report.imported} imported, {report.updated} updated, "
            f"{len(report.refused)} refused"
        )
        for refusal in report.refused[:50]:
            console_err.print(refusal.reason, highlight=False, markup=False)
    return int(ExitCode.PARTIAL if report.refused else ExitCode.OK)


@facilities_app.command("list")
def facilities_list(
    kind: Annotated[str | None, typer.Option("--kind", help="Only this kind.")] = None,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The facilities imported, by kind and name."""
    from vigilant.registry.facilities import list_facilities
    from vigilant.registry.places_models import FacilityKind

    chosen = _choice(FacilityKind, kind, "facility kind") if kind else None
    found = list_facilities(database(), registry_actor(agency, role), kind=chosen)
    print_listing([asdict(f) for f in found], as_json=as_json, columns=["id", "kind", "name", "municipality",
                  "latitude", "longitude"], empty="no facilities")  # fmt: skip


def _answer_row(a: VscAnswer) -> dict[str, Any]:
    return {"reference": a.reference, "result": a.result, "answer": a.answer, "organisation": a.organisation,
            "requested_at": a.requested_at, "confirmation": a.confirmation}  # fmt: skip


def _write_letter(answer: VscAnswer, letter: Path | None) -> None:
    from vigilant.registry.vsc_letter import letter_pdf

    if letter is not None:
        letter.write_bytes(letter_pdf(answer))
        console_err.print(f"letter written to {letter}")


LetterOpt = Annotated[Path | None, typer.Option("--letter", help="Write the result letter (PDF) here.")]


@vsc_app.command("request")
def vsc_request(
    surname: Annotated[str, typer.Option("--surname")],
    given_names: Annotated[str, typer.Option("--given-names")],
    dob: Annotated[str, typer.Option("--dob", help="Date of birth, YYYY-MM-DD.")],
    sex: Annotated[str, typer.Option("--sex", help="F, M or X.")],
    organisation: Annotated[str, typer.Option("--organisation", help="The requesting organisation.")],
    consent: Annotated[
        str, typer.Option("--consent", help="How the applicant's written consent was recorded.")
    ],
    letter: LetterOpt = None,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check an applicant: 'no record' or 'possible match — fingerprint confirmation required' (audited)."""
    from vigilant.registry.vsc import check as vsc_check

    answer = vsc_check(
        database(), registry_actor(agency, role), surname=surname, given_names=given_names,
        date_of_birth=_day(dob), sex=sex, organisation=organisation, consent=consent,
    )  # fmt: skip
    _write_letter(answer, letter)
    print_listing([_answer_row(answer)], as_json=as_json, columns=["reference", "answer"])


@vsc_app.command("confirm")
def vsc_confirm(
    reference: Annotated[str, typer.Argument(help="The check's reference (VSC-…).")],
    outcome: Annotated[str, typer.Option("--outcome", help="confirmed or excluded.")],
    fingerprints_compared: Annotated[
        bool, typer.Option("--fingerprints-compared", help="The fingerprints were compared (required).")
    ] = False,
    notes: Annotated[str | None, typer.Option("--notes")] = None,
    letter: LetterOpt = None,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the fingerprint step of a possible match."""
    from vigilant.registry.places_models import VscConfirmation
    from vigilant.registry.vsc import confirm

    answer = confirm(
        database(), registry_actor(agency, role), reference,
        outcome=_choice(VscConfirmation, outcome, "outcome"), fingerprints_compared=fingerprints_compared,
        notes=notes,
    )  # fmt: skip
    _write_letter(answer, letter)
    print_listing([_answer_row(answer)], as_json=as_json, columns=["reference", "answer", "confirmation"])


@vsc_app.command("show")
def vsc_show(
    reference: Annotated[str, typer.Argument(help="The check's reference (VSC-…).")],
    letter: LetterOpt = None,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A check's answer (audited); --letter writes its result letter again."""
    from vigilant.registry.vsc import get

    answer = get(database(), registry_actor(agency, role), reference)
    _write_letter(answer, letter)
    print_listing([_answer_row(answer)], as_json=as_json, columns=["reference", "answer", "confirmation"])


def register(app: typer.Typer) -> None:
    """Add these commands to the registry's group (one explicit list, in cli/__init__.py's order)."""
    app.command("near")(near)
    app.command("check")(check)
    app.command("matches")(matches)
    app.add_typer(vsc_app, name="vsc")
    app.add_typer(facilities_app, name="facilities")
