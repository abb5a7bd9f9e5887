"""One operation, one set of figures: every place that shows them says the same numbers.

The demo's generated operation (fixed seed) is built as `vigilant demo` builds it, through the demo's own
operation step (:func:`vigilant.demo._operation_demo`: the operation, the logins, the demo laptop seized in
a partner case, the release, the CLI's figures). Then each place that shows its figures is read as a person
or a script reads it, and compared with :func:`vigilant.cases.figures.operation_figures`, the one function
that computes them: the demo's printed summary, the CLI's figures table, the dashboard (its table and its
chart), the operation page, the API (the figures and the operation), and the public release's counts
(named and withheld: every person charged, once).

The field test found the demo printing "123 devices seized" (the generator's own count, made before the
demo seized the laptop) where the table and the dashboard said 124.
"""

from __future__ import annotations

import itertools
import re
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from vigilant.cases.agencies import get_agency
from vigilant.cases.evidence_rules import evidence_service
from vigilant.cases.figures import operation_figures
from vigilant.cases.operations import list_operations
from vigilant.cases.release import build_release
from vigilant.cli import run
from vigilant.config import Settings
from vigilant.demo.run import _operation_demo
from vigilant.demo.users import DEMO_ARGON, current_code, demo_database_url, demo_key_file
from vigilant.security.passwords import Passwords
from vigilant.security.rights import Actor
from vigilant.store import open_database
from vigilant.web import WebOptions, create_app

# The CLI's own actors (Actor.cli: an administrator for no agency, who sees every record).
LAB = Actor.cli("lab")

with warnings.catch_warnings():  # as tests/web/conftest.py: Starlette's test client warns about httpx
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

# The figures the demo's summary prints, in its words.
SUMMARY = re.compile(
    r"(?P<cases>\d+) cases, (?P<persons_charged>\d+) accused \((?P<youths_charged>\d+) under 18 at the "
    r"offence\) on (?P<charges>\d+) charges, \d+ arrests, (?P<victims_identified>\d+) victims, "
    r"(?P<warrants_executed>\d+) warrants executed, (?P<devices_seized>\d+) devices seized, \d+ publication "
    r"bans, (?P<unique_ips>\d+) documentation-range IPs"
)
RELEASE = re.compile(r"(?P<named>\d+) accused named, (?P<withheld>\d+) charged but not named")
DASHBOARD_COLUMNS = {
    "Cases": "cases", "Charges": "charges", "Persons charged": "persons_charged", "Youths": "youths_charged",
    "Oldest accused": "oldest_accused_age", "Warrants executed": "warrants_executed",
    "Devices seized": "devices_seized", "Victims identified": "victims_identified",
    "Victims safeguarded": "victims_safeguarded", "Unique IPs": "unique_ips",
}  # fmt: skip
OPERATION_ROWS = {
    "Cases": "cases", "Charges": "charges", "Persons charged": "persons_charged",
    "Youths among them": "youths_charged", "Oldest accused": "oldest_accused_age",
    "Charged without a date of birth": "charged_without_birth_date", "Warrants executed": "warrants_executed",
    "Devices seized": "devices_seized",
}  # fmt: skip
NUMERIC = [
    "cases", "charges", "persons_charged", "youths_charged", "oldest_accused_age",
    "charged_without_birth_date", "warrants_executed", "devices_seized", "victims_identified",
    "victims_safeguarded", "victims_referred", "unique_ips",
]  # fmt: skip


def _cells(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]


def _log_in(client: TestClient, root: Path, username: str, password: str) -> None:
    token = client.get("/login").cookies.get("vigilant_login_csrf") or ""
    code = current_code(root, username, now=datetime.now(UTC)).code
    answer = client.post(
        "/login", data={"username": username, "password": password, "totp": code, "csrf_token": token}
    )
    assert answer.status_code == 303, answer.text[:500]


def test_every_place_shows_the_operations_figures_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "demo"
    (root / "data").mkdir(parents=True)
    monkeypatch.setenv("VIGILANT_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("VIGILANT_DATABASE_URL", demo_database_url(root))
    db = open_database(demo_database_url(root))
    try:
        laptop = tmp_path / "laptop"  # a folder: the kind of evidence every build reads
        laptop.mkdir()
        (laptop / "notes.txt").write_text("synthetic\n")
        evidence_service(db).add(laptop, actor=LAB, label="Demo laptop")  # what the demo's CLI part adds
        said: list[str] = []
        logins, _ = _operation_demo(root, run, said.append)
        printed = "\n".join(said) + capsys.readouterr().out
        [coordinator] = [x for x in logins if x.role == "coordinator"]
        actor = Actor.cli("test", agency_id=get_agency(db, coordinator.agency).id, roles={"coordinator"})
        [op] = list_operations(db, actor)
        truth = operation_figures(db, actor, op.id)
        expected = {name: getattr(truth, name) for name in NUMERIC}
        assert truth.devices_seized > 0

        # The demo's printed summary and the CLI's figures table it prints after it.
        summary = SUMMARY.search(printed)
        assert summary, printed[:2000]
        for name, value in summary.groupdict().items():
            assert int(value) == expected[name], f"demo summary: {name} {value}, figures {expected[name]}"
        table = dict(re.findall(r"^\W*([a-z_]+)\s*[│|]\s*(\S+)\s*[│|]?\s*$", printed, re.M))
        for name in NUMERIC:
            assert table.get(name) == str(expected[name]), f"CLI table: {name} {table.get(name)}"

        # The public release: every person charged is named or counted as withheld, once.
        release = RELEASE.search(printed)
        assert release, printed[-2000:]
        built = build_release(db, actor, op.id)
        named, withheld = len(built.named), sum(built.withheld.values())
        assert (int(release["named"]), int(release["withheld"])) == (named, withheld)
        assert named + withheld == truth.persons_charged

        # The web: the dashboard, the operation page, the API, as the demo's coordinator sees them.
        settings = Settings(
            data_dir=root / "data", database_url=demo_database_url(root), user="test",
            secret_key_path=demo_key_file(root),
        )  # fmt: skip
        app = create_app(settings, WebOptions(cookie_secure=False, passwords=Passwords(DEMO_ARGON)))
        with TestClient(app, follow_redirects=False) as client:
            _log_in(client, root, coordinator.username, coordinator.password)
            dashboard = client.get("/").text
            thead = re.search(r"<thead>(.*?)</thead>", dashboard, re.S)
            assert thead
            heads = _cells(thead.group(1))
            row = next(r for r in re.findall(r"<tr>(.*?)</tr>", dashboard, re.S) if op.code in r)
            shown = dict(zip(heads, _cells(row), strict=False))
            for head, name in DASHBOARD_COLUMNS.items():
                assert shown[head] == str(expected[name]), f"dashboard: {head} {shown[head]}"

            page = client.get(f"/operations/{op.id}").text
            rows = {
                _cells(r)[0]: _cells(r)[1]
                for r in re.findall(r"<tr>(<th scope=\"row\">.*?)</tr>", page, re.S)
            }
            for head, name in OPERATION_ROWS.items():
                assert rows[head] == str(expected[name]), f"operation page: {head} {rows[head]}"
            victims = rows["Victims identified / safeguarded / referred"]
            assert victims == " / ".join(
                str(expected[n]) for n in ("victims_identified", "victims_safeguarded", "victims_referred")
            )

            # The dashboard's enforcement chart: each bar's label and the value written beside it.
            texts = re.findall(r'class="chart-(label|value)"[^>]*>([^<]*)</text>', dashboard)
            bars = {
                label: int(value)
                for (kind, label), (next_kind, value) in itertools.pairwise(texts)
                if kind == "label" and next_kind == "value"
            }
            for label in ("warrants executed", "devices seized", "victims identified", "victims safeguarded",
                          "victims referred"):  # fmt: skip
                name = label.replace(" ", "_")
                assert bars[label] == expected[name], f"dashboard chart: {label} {bars[label]}"

            api: dict[str, Any] = client.get(f"/api/v1/operations/{op.id}/figures").json()
            detail: dict[str, Any] = client.get(f"/api/v1/operations/{op.id}").json()["figures"]
            for name in NUMERIC:
                assert api[name] == expected[name], f"API figures: {name} {api[name]}"
                assert detail[name] == expected[name], f"API operation: {name} {detail[name]}"
    finally:
        db.dispose()
