"""Vulnerable-sector checks: the matching rule, answers that never name anyone, the fingerprint step, the
audit, and the result letter read back from its PDF."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.registry.places_data import AUDITOR, OFFICER, office, registrant
from vigilant.registry.crosscheck_names import name_key
from vigilant.registry.errors import RegistryError
from vigilant.registry.places_models import VscConfirmation, VscRequestRow
from vigilant.registry.vsc import check, confirm, get
from vigilant.registry.vsc_letter import letter_pdf
from vigilant.security.errors import PermissionDenied
from vigilant.security.models import AuditEventRow
from vigilant.store import Database

BORN = date(1979, 4, 2)


def _ask(db: Database, surname: str, given: str, born: date = BORN, sex: str = "M") -> str:
    return check(
        db, OFFICER, surname=surname, given_names=given, date_of_birth=born, sex=sex,
        organisation="Sunny Days Daycare", consent="signed form VS-7, 2026-12-01",
    ).result  # fmt: skip


def test_names_fold_case_accents_and_punctuation() -> None:
    assert name_key("Zoé-Anne Marie", "O'Néil") == name_key("ZOEANNE", "oneil") == ("oneil", "zoeanne")
    assert name_key("Zoé", "Roy") != name_key("Zoey", "Roy")
    assert name_key("", "Roy") is None


def test_the_matching_rule(db: Database) -> None:
    agency = office(db)
    registrant(
        db, agency, "V1", surname="Lévesque", given_names="Jean Marc", born=BORN, sex="M",
        aliases=(("Johnny", "Smith", None), ("Pat", "Gray", date(1981, 1, 1))),
    )  # fmt: skip
    assert _ask(db, "LEVESQUE", "jean") == "possible_match"  # surname + first given name, no accents or case
    assert _ask(db, "Levesque", "Marc") == "no_record"  # the first given name, not any
    assert _ask(db, "Levesque", "Jean", sex="F") == "no_record"  # the main name needs the sex too
    assert _ask(db, "Levesque", "Jean", born=date(1979, 4, 3)) == "no_record"
    assert _ask(db, "smith", "Johnny", sex="F") == "possible_match"  # an alias with the registrant's DOB
    assert _ask(db, "Gray", "Pat", born=date(1981, 1, 1)) == "possible_match"  # an alias with its own DOB
    assert _ask(db, "Gray", "Pat") == "no_record"


def test_answers_name_nobody_and_the_fingerprint_step_is_recorded(db: Database) -> None:
    agency = office(db)
    rid = registrant(db, agency, "V2", surname="Tremblay", given_names="Alex", born=BORN)
    answer = check(
        db, OFFICER, surname="Tremblay", given_names="Alex", date_of_birth=BORN, sex="M",
        organisation="Maple Scouts", consent="consent form on file",
    )  # fmt: skip
    assert answer.answer == "possible match — fingerprint confirmation required"
    assert "V2" not in repr(answer)
    with db.session() as s:
        assert s.scalars(select(VscRequestRow.candidates)).one() == [rid]  # kept for the office only
    with pytest.raises(RegistryError, match="fingerprints"):
        confirm(db, OFFICER, answer.reference, outcome=VscConfirmation.EXCLUDED, fingerprints_compared=False)
    done = confirm(
        db, OFFICER, answer.reference, outcome=VscConfirmation.EXCLUDED, fingerprints_compared=True
    )
    assert done.confirmation == "excluded"
    with pytest.raises(RegistryError, match="already excluded"):
        confirm(db, OFFICER, answer.reference, outcome=VscConfirmation.CONFIRMED, fingerprints_compared=True)
    assert get(db, OFFICER, answer.reference.lower()).confirmation == "excluded"
    with db.session() as s:
        actions = s.scalars(
            select(AuditEventRow.action).where(AuditEventRow.object_id == answer.reference)
        ).all()
    assert actions == ["registry.vsc", "record.changed", "record.read"]


def test_requests_are_checked(db: Database) -> None:
    with pytest.raises(RegistryError, match="consent"):
        check(
            db,
            OFFICER,
            surname="A",
            given_names="B",
            date_of_birth=BORN,
            sex="M",
            organisation="O",
            consent=" ",
        )
    with pytest.raises(RegistryError, match="sex"):
        check(
            db,
            OFFICER,
            surname="A",
            given_names="B",
            date_of_birth=BORN,
            sex="Q",
            organisation="O",
            consent="c",
        )
    with pytest.raises(PermissionDenied):
        check(
            db,
            AUDITOR,
            surname="A",
            given_names="B",
            date_of_birth=BORN,
            sex="M",
            organisation="O",
            consent="c",
        )


def test_the_letter(db: Database) -> None:
    agency = office(db)
    registrant(db, agency, "V3", surname="Nguyen", given_names="Kim", born=BORN, sex="F")
    answer = check(
        db, OFFICER, surname="Nguyen", given_names="Kim", date_of_birth=BORN, sex="F",
        organisation="Lakeside School Board", consent="signed consent 2026-12-02",
    )  # fmt: skip
    pdf = letter_pdf(answer)
    assert pdf == letter_pdf(answer)  # deterministic
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert answer.reference in text
    assert "possible match - fingerprint confirmation required" in text
    assert "Lakeside School Board" in text
    assert "V3" not in text
    clear = check(
        db,
        OFFICER,
        surname="Other",
        given_names="Kim",
        date_of_birth=BORN,
        sex="F",
        organisation="L",
        consent="c",
    )
    text = " ".join(PdfReader(io.BytesIO(letter_pdf(clear))).pages[0].extract_text().split())
    assert "Result: no record" in text
