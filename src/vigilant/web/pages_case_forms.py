"""The case page's forms: persons, legal process and its execution, charges, victims, seizures, arrests, bans.

Each form is a typed body (all text, as typed: parsing happens here, so that a message names the field) and
one service call. Every form answers the same way (:func:`_answer`): back to the case page at the form's
section (303) when the service accepted it; the case page again with the message beside the form and what
was typed (400, or 409 for a conflict) when it did not. Who may record what, and in which case, is decided
by :mod:`vigilant.cases.process` and :mod:`vigilant.cases.people`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from vigilant.cases import people, process
from vigilant.cases.models import ProcessKind
from vigilant.errors import BadInputError, ConflictError
from vigilant.links import deferred
from vigilant.web.auth import Caller, CallerDep, ContextDep
from vigilant.web.context import WebContext
from vigilant.web.pages_records import render_case
from vigilant.web.params import RowId, form_id

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Field(max_length=300)]
LongText = Annotated[str, Field(max_length=5000)]
# Fields stored in short columns: a longer value is wrong input, said so before the database refuses it.
LIMITS = {"by": 200, "make": 100, "model": 100, "serial": 200, "exhibit": 100, "authority": 100,
          "court": 200, "court_file": 100}  # fmt: skip


class CaseForm(BaseModel):
    """A form's fields as typed. Fields in :data:`LIMITS` longer than their column are refused by name."""

    def typed(self) -> dict[str, str]:
        return {name: str(value) for name, value in self.model_dump().items()}

    def check_lengths(self) -> None:
        for name, value in self.typed().items():
            limit = LIMITS.get(name)
            if limit is not None and len(value.strip()) > limit:
                label = name.replace("_", " ")
                raise BadInputError(f"the {label} is too long", hint=f"at most {limit} characters")


def _answer(
    ctx: WebContext,
    caller: Caller,
    case_id: int,
    section: str,
    *,
    form: CaseForm,
    record: Callable[[], object],
    back_to: str | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    """Run ``record`` (the form's parsing and service call) and answer as every case form does."""
    try:
        form.check_lengths()
        record()
    except (BadInputError, ConflictError) as exc:
        status = HTTPStatus.CONFLICT if isinstance(exc, ConflictError) else HTTPStatus.BAD_REQUEST
        values = {**form.typed(), **(typed or {})}
        return render_case(
            ctx, caller, case_id, status=status, errors={section: str(exc)}, form={section: values}
        )
    # The link graph learns of the record (links sits above cases, so the face calls it): marked stale now,
    # rebuilt after the response; a failed rebuild is recorded and shown on the links page, never this form's.
    data_dir = ctx.runs.settings.data_dir
    deferred.mark(data_dir, case_id)
    return RedirectResponse(
        f"/cases/{case_id}#{back_to or section}",
        status_code=HTTPStatus.SEE_OTHER,
        background=BackgroundTask(deferred.drain, ctx.db, data_dir),
    )


# --- what was typed, read ------------------------------------------------------------------------------
def _day(value: str, what: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadInputError(f"{what} {value!r} is not a date", hint="write it as YYYY-MM-DD") from None


def _required_day(value: str, what: str) -> date:
    day = _day(value, what)
    if day is None:
        raise BadInputError(f"{what} is required", hint="write the date as YYYY-MM-DD")
    return day


def _when(value: str, what: str) -> datetime:
    """A time typed in a form (datetime-local, no zone): read as UTC, as the label says."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadInputError(
            f"{what} {value!r} is not a date and time", hint="write it as YYYY-MM-DDTHH:MM (UTC)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _person_id(value: str) -> int:
    found = form_id(value)
    if found is None:
        raise BadInputError("choose a person named in this case", hint="add the person first if missing")
    return found


def _optional_id(value: str, what: str) -> int | None:
    if not value.strip().lstrip("#"):
        return None
    found = form_id(value)
    if found is None:
        raise BadInputError(
            f"{what} {value!r} is not a record's number", hint="leave it empty if there is none"
        )
    return found


def _text(value: str) -> str | None:
    return value.strip() or None


def _filled(value: str, message: str, hint: str) -> str:
    if not value.strip():
        raise BadInputError(message, hint=hint)
    return value.strip()


# --- the forms -----------------------------------------------------------------------------------------
class PersonForm(CaseForm):
    given_names: Text = ""
    surname: Text = ""
    role: Text = "suspect"
    date_of_birth: Text = ""
    municipality: Text = ""
    address: LongText = ""
    depicted: Text = ""


@router.post("/cases/{case_id}/persons")
def add_person(
    case_id: RowId, ctx: ContextDep, caller: CallerDep, form: Annotated[PersonForm, Form()]
) -> Response:
    return _answer(
        ctx,
        caller,
        case_id,
        "persons",
        form=form,
        record=lambda: people.add_person(
            ctx.db,
            caller.actor,
            case_id,
            given_names=form.given_names,
            surname=form.surname,
            role=people.parse_role(form.role),
            date_of_birth=_day(form.date_of_birth, "date of birth"),
            municipality=_text(form.municipality),
            address=_text(form.address),
            depicted=bool(form.depicted),
        ),
    )


class LegalProcessForm(CaseForm):
    kind: Text = ""
    target: LongText = ""
    issued_at: Text = ""
    issued_by_court: Text = ""
    issued_by_judge: Text = ""
    reference: Text = ""


def _process_kind(value: str) -> ProcessKind:
    if value not in {k.value for k in ProcessKind}:
        raise BadInputError(f"unknown kind of legal process {value!r}", hint="choose one from the list")
    return ProcessKind(value)


@router.post("/cases/{case_id}/legal-process")
def add_legal_process(
    case_id: RowId, ctx: ContextDep, caller: CallerDep, form: Annotated[LegalProcessForm, Form()]
) -> Response:
    return _answer(
        ctx,
        caller,
        case_id,
        "legal-process",
        form=form,
        record=lambda: process.add_legal_process(
            ctx.db,
            caller.actor,
            case_id,
            kind=_process_kind(form.kind),
            target=_filled(form.target, "say what the process is about", "the provider, account or premises"),
            issued_at=_when(form.issued_at, "issued"),
            issued_by_court=_text(form.issued_by_court),
            issued_by_judge=_text(form.issued_by_judge),
            reference=_text(form.reference),
        ),
    )


class ExecutionForm(CaseForm):
    executed_at: Text = ""
    where: LongText = ""
    by: Text = ""


@router.post("/cases/{case_id}/legal-process/{process_id}/execution")
def record_execution(
    case_id: RowId,
    process_id: RowId,
    ctx: ContextDep,
    caller: CallerDep,
    form: Annotated[ExecutionForm, Form()],
) -> Response:
    def record() -> object:
        if not form.where.strip() or not form.by.strip():
            raise BadInputError("say where and by whom it was executed", hint="fill in both")
        return process.record_execution(
            ctx.db,
            caller.actor,
            process_id,
            executed_at=_when(form.executed_at, "executed"),
            where=form.where.strip(),
            by=form.by.strip(),
            case_id=case_id,
        )

    return _answer(
        ctx,
        caller,
        case_id,
        "execution",
        form=form,
        record=record,
        back_to="legal-process",
        typed={"process_id": str(process_id)},
    )


class ChargeForm(CaseForm):
    person_id: Text = ""
    offence: Text = ""
    offence_from: Text = ""
    offence_to: Text = ""
    laid_on: Text = ""


@router.post("/cases/{case_id}/charges")
def lay_charge(
    case_id: RowId, ctx: ContextDep, caller: CallerDep, form: Annotated[ChargeForm, Form()]
) -> Response:
    def record() -> object:
        person = _person_id(form.person_id)
        return process.lay_charge(
            ctx.db,
            caller.actor,
            case_id,
            person,
            offence_code=form.offence,
            offence_from=_required_day(form.offence_from, "offence date (from)"),
            offence_to=_day(form.offence_to, "offence date (to)"),
            laid_on=_day(form.laid_on, "laid on") or ctx.clock().date(),
        )

    return _answer(ctx, caller, case_id, "charges", form=form, record=record)


class VictimForm(CaseForm):
    person_id: Text = ""
    identified_on: Text = ""
    safeguarded_on: Text = ""
    referred_on: Text = ""
    referred_to: Text = ""


@router.post("/cases/{case_id}/victims")
def record_victim(
    case_id: RowId, ctx: ContextDep, caller: CallerDep, form: Annotated[VictimForm, Form()]
) -> Response:
    return _answer(
        ctx,
        caller,
        case_id,
        "victims",
        form=form,
        record=lambda: people.record_victim(
            ctx.db,
            caller.actor,
            case_id,
            _person_id(form.person_id),
            identified_on=_day(form.identified_on, "identified on"),
            safeguarded_on=_day(form.safeguarded_on, "safeguarded on"),
            referred_on=_day(form.referred_on, "referred on"),
            referred_to=_text(form.referred_to),
        ),
    )


class SeizureForm(CaseForm):
    seized_at: Text = ""
    where: LongText = ""
    by: Text = ""
    legal_process_id: Text = ""
    description: Text = ""
    make: Text = ""
    model: Text = ""
    serial: Text = ""
    exhibit: Text = ""
    evidence_item_id: Text = ""


@router.post("/cases/{case_id}/seizures")
def record_seizure(
    case_id: RowId, ctx: ContextDep, caller: CallerDep, form: Annotated[SeizureForm, Form()]
) -> Response:
    def record() -> object:
        if not form.where.strip() or not form.by.strip():
            raise BadInputError("say where and by whom it was seized", hint="fill in both")
        device = process.DeviceSeized(
            description=_filled(
                form.description, "describe the device seized", "for example 'black Android phone'"
            ),
            make=_text(form.make),
            model=_text(form.model),
            serial=_text(form.serial),
            exhibit=_text(form.exhibit),
            evidence_item_id=_optional_id(form.evidence_item_id, "evidence item"),
        )
        return process.record_seizure(
            ctx.db,
            caller.actor,
            case_id,
            seized_at=_when(form.seized_at, "seized"),
            where=form.where.strip(),
            by=form.by.strip(),
            devices=[device],
            legal_process_id=_optional_id(form.legal_process_id, "warrant"),
        )

    return _answer(ctx, caller, case_id, "seizures", form=form, record=record)


class ArrestForm(CaseForm):
    person_id: Text = ""
    arrested_at: Text = ""
    where: LongText = ""
    by: Text = ""


@router.post("/cases/{case_id}/arrests")
def record_arrest(
    case_id: RowId, ctx: ContextDep, caller: CallerDep, form: Annotated[ArrestForm, Form()]
) -> Response:
    def record() -> object:
        person = _person_id(form.person_id)
        by = _filled(form.by, "say who made the arrest", "the arresting officer or unit")
        return process.record_arrest(
            ctx.db,
            caller.actor,
            case_id,
            person,
            arrested_at=_when(form.arrested_at, "arrested"),
            where=_text(form.where),
            by=by,
        )

    return _answer(ctx, caller, case_id, "arrests", form=form, record=record)


class BanForm(CaseForm):
    person_id: Text = ""
    authority: Text = ""
    court: Text = ""
    court_file: Text = ""
    ordered_on: Text = ""
    details: LongText = ""


@router.post("/cases/{case_id}/bans")
def record_ban(
    case_id: RowId, ctx: ContextDep, caller: CallerDep, form: Annotated[BanForm, Form()]
) -> Response:
    def record() -> object:
        person = _person_id(form.person_id)
        return people.record_ban(
            ctx.db,
            caller.actor,
            case_id,
            person,
            authority=_filled(
                form.authority,
                "name the provision the ban was made under",
                "for example 486.4(1), 486.5 or YCJA 111",
            ),
            court=_text(form.court),
            court_file=_text(form.court_file),
            ordered_on=_day(form.ordered_on, "ordered on"),
            details=_text(form.details),
        )

    return _answer(ctx, caller, case_id, "bans", form=form, record=record)
