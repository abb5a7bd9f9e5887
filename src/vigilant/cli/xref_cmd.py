"""``vigilant links xref | judge | profile``: person resolution across cases, on the ``links`` command group.

The caller is built like every ``vigilant cases`` command: ``--agency`` (or VIGILANT_AGENCY) and ``--role``;
what a listing shows is cut to that caller, as on the web.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from vigilant.cli.cases_cmd import AgencyOpt, _actor
from vigilant.cli.common import JsonOpt, console, database, print_listing

if TYPE_CHECKING:
    from vigilant.links.jobs import JobView

RoleOpt = Annotated[list[str] | None, typer.Option("--role", help="Your role; repeatable (default analyst).")]
StatusOpt = Annotated[
    str,
    typer.Option(
        "--status",
        help="queue (open, reopened, unsure), all, or one of open, reopened, unsure, same, not_same, "
        "same_profile, withheld.",
    ),
]


def _row(view: Any) -> dict[str, Any]:
    data: dict[str, Any] = view.as_dict()
    top = sorted(data["comparisons"], key=lambda c: -abs(c["weight"]))[:3]
    other = data["other"]
    return {
        "id": data["id"],
        "status": data["status"],
        "weight": data["match_weight"],
        "probability": data["match_probability"],
        "person": f"#{data['person']['id']} {data['person']['name']} ({data['person']['agency']})",
        "other": f"#{other['id']} {other['name']} ({other['agency']})" if other else data["withheld"],
        "why": "; ".join(f"{c['comparison']}: {c['level']} ({c['weight']:+.1f})" for c in top),
    }


def xref(
    run: Annotated[bool, typer.Option("--run", help="Run the model over every person first.")] = False,
    status: StatusOpt = "queue",
    person: Annotated[int | None, typer.Option("--person", help="Only this person's proposals.")] = None,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Person resolution: list the proposed same-person pairs you may see (--run: run the model first, as
    a job that resumes where an interrupted one stopped; `vigilant links status` follows it)."""
    from vigilant.cli.common import settings
    from vigilant.links.xref import list_proposals, run_xref

    caller = _actor(agency, role or ["analyst"])
    if run:
        told: set[str] = set()

        def tell(job: JobView) -> None:  # each phase once as it starts and once as it ends
            key = f"{job.phase}:{job.done == job.total}"
            if not as_json and key not in told:
                told.add(key)
                console.print(job.line)

        summary = run_xref(database(), caller, data_dir=settings().data_dir, on_progress=tell)
        if not as_json:
            console.print(
                f"xref run {summary.run_id} ({summary.model_version}, job {summary.job_id}): "
                f"{summary.persons} persons, {summary.pairs_compared} pairs compared, "
                f"{summary.proposals} proposed"
            )
    views = list_proposals(database(), caller, status=status, person_id=person)
    if as_json:
        print_listing([v.as_dict() for v in views], as_json=True)
        return
    print_listing([_row(v) for v in views], as_json=False, title="xref proposals", empty="no proposal")


def judge(
    pair: Annotated[int, typer.Argument(help="The proposal's id (vigilant links xref).")],
    verdict: Annotated[str, typer.Argument(help="same | not-same | unsure")],
    reason: Annotated[str, typer.Option("--reason", help="What decided it (kept and audited).")],
    agency: AgencyOpt = None,
    role: RoleOpt = None,
) -> None:
    """Judge an xref proposal: the same person, not the same, or unsure, with a reason."""
    from vigilant.links.judgements import judge as record
    from vigilant.links.judgements import parse_verdict

    row = record(database(), _actor(agency, role or ["analyst"]), pair, parse_verdict(verdict), reason)
    console.print(f"proposal {pair} judged {row.verdict} (judgement {row.id})")


def profile(
    person: Annotated[int, typer.Argument(help="A person's id.")],
    agency: AgencyOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The persons confirmed the same as PERSON, across cases (and who holds those you may not see)."""
    from vigilant.links.xref import profile as load

    found = load(database(), _actor(agency, role or ["analyst"]), person)
    rows: list[dict[str, Any]] = [p.as_dict() for p in found.persons]
    rows += [{"id": None, "name": None, "agency": None, "withheld": w} for w in found.withheld]
    print_listing(rows, as_json=as_json, title=f"profile {found.profile_id}")
