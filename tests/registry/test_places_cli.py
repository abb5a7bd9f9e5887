"""`vigilant registry near | check | matches | vsc | facilities` end to end on the embedded database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.registry.places_data import office, registrant
from vigilant.cli import run
from vigilant.cli.common import database
from vigilant.errors import ExitCode
from vigilant.registry.models import AddressKind

LAYER = "id,kind,name,lat,lon\nd1,daycare,Little Steps,43.7000,-79.4000\nbad,daycare,Broken,,\n"


def _json(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_places_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = database()
    agency = office(db)
    work = ((AddressKind.EMPLOYMENT, 43.7002, -79.4),)
    registrant(db, agency, "ON-7", surname="Roy", given_names="Sam", addresses=work, organisation="Acme")
    layer = tmp_path / "daycares.csv"
    layer.write_text(LAYER, encoding="utf-8")
    assert run(["registry", "facilities", "import", str(layer), "--json"]) == ExitCode.PARTIAL
    [report] = _json(capsys)
    assert (report["imported"], report["refused"][0]["line"]) == (1, 3)  # type: ignore[index]
    assert run(["registry", "facilities", "list", "--json"]) == ExitCode.OK
    assert [f["name"] for f in _json(capsys)] == ["Little Steps"]

    args = [
        "registry",
        "near",
        "--lat",
        "43.7",
        "--lon",
        "-79.4",
        "--radius",
        "50",
        "--purpose",
        "incident 26-9",
    ]
    assert run([*args, "--json"]) == ExitCode.OK
    [hit] = _json(capsys)
    assert hit["registry_number"] == "ON-7"
    assert hit["distance_m"] == pytest.approx(22.2, abs=0.1)
    daycares = ["--facility-kind", "daycare", "--radius", "500", "--purpose", "daily check", "--json"]
    assert run(["registry", "near", *daycares]) == ExitCode.OK
    assert [h["facility_name"] for h in _json(capsys)] == ["Little Steps"]
    assert run(["registry", "near", "--lat", "43.7", "--lon", "-79.4", "--radius", "50"]) == ExitCode.USAGE

    assert (
        run(["registry", "check", "--employment", "--purpose", "daily employment", "--json"]) == ExitCode.OK
    )
    [match] = _json(capsys)
    assert (match["kind"], match["registry_number"]) == ("employment", "ON-7")
    assert run(["registry", "matches", "--json"]) == ExitCode.OK
    assert [m["id"] for m in _json(capsys)] == [match["id"]]

    letter = tmp_path / "letter.pdf"
    applicant = ["--surname", "ROY", "--given-names", "Sam", "--dob", "1980-02-29", "--sex", "M"]
    request = ["registry", "vsc", "request", *applicant, "--organisation", "Scouts", "--consent", "form 12",
               "--json", "--letter", str(letter)]  # fmt: skip
    assert run(request) == ExitCode.OK
    [answer] = _json(capsys)
    assert answer["result"] == "possible_match"
    assert "Roy" not in json.dumps(answer)
    assert str(answer["reference"]) in PdfReader(letter).pages[0].extract_text()
    reference = str(answer["reference"])
    assert run(["registry", "vsc", "confirm", reference, "--outcome", "excluded"]) == ExitCode.BAD_INPUT
    capsys.readouterr()
    assert run(["registry", "vsc", "confirm", reference, "--outcome", "excluded", "--fingerprints-compared",
                "--json"]) == ExitCode.OK  # fmt: skip
    assert _json(capsys)[0]["confirmation"] == "excluded"
