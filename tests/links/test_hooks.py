"""The link graph kept current by the faces that finish the work: `vigilant triage run`, the case forms,
the records API and the web's run launcher rebuild what their change concerns; the result equals a full
build; a failed rebuild fails neither the run nor the save, and the links page says the graph is stale,
with the reason, until a rebuild succeeds."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from tests.cases.helpers import actor
from tests.cases.helpers import world as cases_world
from tests.links.test_build import graph, links_of
from tests.links.world import LAB, planted
from tests.web.conftest import Clock, World, client, clock, csrf, log_in, world
from vigilant.cases.links import link_identifier
from vigilant.cli import run
from vigilant.errors import ExitCode
from vigilant.links import hooks
from vigilant.links.builders import BUILDERS
from vigilant.links.freshness import GraphFreshness
from vigilant.links.models import LinkEntityRow
from vigilant.links.service import build_all
from vigilant.security.rights import Actor, Role
from vigilant.store import Database
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings

if TYPE_CHECKING:  # imported for real only after tests.web.conftest, which quiets Starlette's test client
    from fastapi.testclient import TestClient

__all__ = ["client", "clock", "world"]  # the web tests' fixtures, used here by name

WEB_DATA = "web-data"  # the web app's data folder in tests/web/conftest.py


def test_cli_triage_run_adds_the_new_devices_shared_files_as_a_full_build_would(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = planted(db, tmp_path)
    data = tmp_path / "vigilant-data"  # the CLI's data folder (tests/conftest.py)
    hooks.full_build(db, p.pp, data, observations_dir=p.data / "observations")
    seized = tmp_path / "folders"
    later = tmp_path / "later"
    later.mkdir()
    (later / "from-b.bin").write_bytes((seized / "seized-B" / "own-B.bin").read_bytes())
    item = p.triage.evidence.add(later, actor=LAB, label="laptop D", case_number="A-1", agency="PP")
    assert not links_of(graph(db), "shared_unknown_files") or all(
        f"item:{item.id}" not in x[1] + x[2] for x in links_of(graph(db), "shared_unknown_files")
    )

    assert run(["triage", "run", "laptop D", "--processes", "0"]) == ExitCode.OK
    assert "link graph updated after triage run" in capsys.readouterr().out
    incremental = graph(db)
    pairs = [(x[1], x[2]) for x in links_of(incremental, "shared_unknown_files")]
    assert (f"device/item:{p.items['B']}", f"device/item:{item.id}") in pairs
    assert GraphFreshness(data).stale(db) == []
    build_all(db, p.pp, p.data / "observations")
    assert graph(db) == incremental


def test_an_identifier_recorded_through_the_service_joins_the_graph_with_the_hook(
    db: Database, tmp_path: Path
) -> None:
    p = planted(db, tmp_path)
    build_all(db, p.pp, p.data / "observations")
    before = len(links_of(graph(db), "same_identifier"))
    link_identifier(db, p.bps, p.cases["B"], "phone", "+1 613 555 0101", person_id=p.persons["B"])
    link_identifier(db, p.hrp, p.cases["C"], "phone", "613-555-0101", person_id=p.persons["C"])
    result = hooks.after_case_record(db, p.cases["C"], p.data)
    assert result.error is None
    after = links_of(graph(db), "same_identifier")
    assert len(after) == before + 1
    assert any("613" in x[4] for x in after)
    incremental = graph(db)
    build_all(db, p.pp, p.data / "observations")
    assert graph(db) == incremental


def test_a_person_saved_through_the_case_form_and_the_api_joins_the_graph(
    db: Database, client: TestClient, world: World, clock: Clock
) -> None:
    assert log_in(client, world.users[Role.INVESTIGATOR], clock) == 303
    token = csrf(client)
    form = {"given_names": "Quinn", "surname": "Example", "role": "suspect", "csrf_token": token}
    sent = client.post(f"/cases/{world.own_case}/persons", data=form)
    assert sent.status_code == 303, sent.text
    api = client.post(
        f"/api/v1/cases/{world.own_case}/persons",
        json={"given_names": "Robin", "surname": "Example", "role": "suspect"},
        headers={"X-CSRF-Token": token},
    )
    assert api.status_code == 201, api.text
    named = {x[1] for x in links_of(graph(db), "named_in")} | {x[2] for x in links_of(graph(db), "named_in")}
    assert f"case/case:{world.own_case}" in named
    labels = _labels(db)
    assert "Quinn Example" in labels
    assert "Robin Example" in labels


def _labels(db: Database) -> set[str]:
    with db.session() as s:
        return set(s.scalars(select(LinkEntityRow.label)))


def test_a_failed_rebuild_fails_neither_the_save_nor_the_page_and_is_shown_until_one_succeeds(
    *,
    db: Database,
    client: TestClient,
    world: World,
    clock: Clock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = BUILDERS["records"]

    def broken(_sources: object) -> object:
        raise RuntimeError("the builder broke\n[parameters: ('a record value',)]")

    monkeypatch.setattr(type(records), "build", lambda self, sources: broken(sources))
    assert log_in(client, world.users[Role.INVESTIGATOR], clock) == 303
    form = {"given_names": "Quinn", "surname": "Example", "role": "suspect", "csrf_token": csrf(client)}
    sent = client.post(f"/cases/{world.own_case}/persons", data=form)
    assert sent.status_code == 303, sent.text  # saved all the same
    assert "Quinn" in client.get(f"/cases/{world.own_case}").text
    assert log_in(client, world.users[Role.ANALYST], clock) == 303
    page = client.get("/links").text
    assert "The link graph is stale since" in page
    assert f"a record of case {world.own_case} failed: RuntimeError: the builder broke" in page
    assert "a record value" not in page  # the error's parameters stay in the log
    stale = client.get("/api/v1/links").json()["stale"]  # the API says so too
    assert [s["reason"] for s in stale if "builder broke" in s["reason"]] == [
        f"rebuild after a record of case {world.own_case} failed: RuntimeError: the builder broke"
    ]
    monkeypatch.undo()
    result = hooks.after_case_record(db, world.own_case, tmp_path / WEB_DATA)
    assert result.error is None
    assert "the builder broke" not in client.get("/links").text  # (the world's runs still make it stale)
    assert "the builder broke" not in client.get("/api/v1/links").text


def test_a_run_finished_after_the_last_rebuild_makes_the_graph_stale(db: Database, tmp_path: Path) -> None:
    p = planted(db, tmp_path)  # its runs finished; no rebuild was ever recorded in this data folder
    freshness = GraphFreshness(p.data)
    (stale,) = freshness.stale(db)
    assert "triage run(s) " + ", ".join(str(r) for r in sorted(p.runs.values())) in stale.reason
    hooks.full_build(db, p.pp, p.data)
    assert freshness.stale(db) == []
    folder = tmp_path / "another"
    folder.mkdir()
    (folder / "x.bin").write_bytes(b"x" * 100)
    item = p.triage.evidence.add(folder, actor=LAB, label="laptop E", case_number="A-1", agency="PP")
    run_id = p.triage.start(item.id, TriageSettings(processes=1, threads=1), LAB, Progress())
    (stale,) = freshness.stale(db)  # the hook was never called (a server restarted, say)
    assert f"triage run(s) {run_id} finished after" in stale.reason
    assert hooks.after_run_finished(db, run_id, p.data).error is None
    assert freshness.stale(db) == []


@pytest.mark.slow
def test_a_run_started_from_the_web_links_its_device_when_its_worker_ends(
    db: Database, client: TestClient, world: World, clock: Clock, tmp_path: Path
) -> None:
    rare = b"synthetic bytes on two seized folders only\n" * 30
    items = []
    for name in ("one", "two"):
        folder = tmp_path / f"seized-{name}"
        folder.mkdir()
        (folder / "rare.bin").write_bytes(rare)
        (folder / f"{name}.txt").write_text(f"only on {name}\n")
        service = TriageService(db, tmp_path / WEB_DATA)
        added = service.evidence.add(folder, actor=Actor.cli("lab"), label=name, case_number="OP-OWN-1")
        items.append(added.id)
    service.start(items[0], TriageSettings(processes=1, threads=1), Actor.cli("lab"), Progress())
    assert log_in(client, world.users[Role.EXAMINER], clock) == 303
    answer = client.post(
        f"/api/v1/evidence/{items[1]}/triage-runs", json={}, headers={"X-CSRF-Token": csrf(client)}
    )
    assert answer.status_code == 202, answer.text
    wanted = (f"device/item:{items[0]}", f"device/item:{items[1]}")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if wanted in [(x[1], x[2]) for x in links_of(graph(db), "shared_unknown_files")]:
            break
        time.sleep(0.3)
    else:
        raise AssertionError(f"no shared-file link between the two devices: {graph(db)}")
    assert GraphFreshness(tmp_path / WEB_DATA).stale(db) == []


def test_cases_import_links_two_agencies_persons_sharing_an_email_in_one_rebuild(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = cases_world(db)
    header = {"format": "vigilant-case-import", "version": 1}
    for agency, number in (("PP", "PP-9"), ("BPS", "BPS-9")):
        lines = [
            header,
            {"record": "case", "number": number, "title": "Imported", "distribution": "all_agencies"},
            {"record": "person", "case": number, "ref": "P", "given_names": agency, "surname": "Imported",
             "role": "accused"},
            {"record": "identifier", "case": number, "kind": "email", "value": "Shared@Example.org",
             "person": "P"},
        ]  # fmt: skip
        path = tmp_path / f"{agency}.jsonl"
        path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
        assert run(["cases", "import", str(path), "--agency", agency, "--role", "investigator"]) == 0
        assert "link graph updated after an import of case records" in capsys.readouterr().out
    (same,) = links_of(graph(db), "same_identifier")
    assert "shared@example.org" in same[4]
    incremental = graph(db)
    build_all(db, actor(w.coordinator), tmp_path / "observations")
    assert graph(db) == incremental
