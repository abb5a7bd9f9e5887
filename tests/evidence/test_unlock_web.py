"""An encrypted laptop image triaged from the evidence page, its passphrase typed into the launcher's
password field: the server hands it to the run's worker process through a pipe, the worker unlocks the
volume and reads its files, custody names the examiner and the kind of key, and the passphrase is nowhere
afterwards: not in the database, not in the worker's log or any file of the data folder, not in a page.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.evidence import make_images as mk
from tests.evidence.make_luks import PASSPHRASE, make_luks
from tests.evidence.test_unlock_cli import assert_nowhere
from tests.web.conftest import Clock, World, client, clock, csrf, log_in, world  # noqa: F401 - fixtures
from vigilant.security.rights import Actor, Role
from vigilant.store import Database
from vigilant.triage.results import iter_records
from vigilant.triage.service import TriageService

if TYPE_CHECKING:  # imported after tests.web.conftest, which quiets Starlette's warning about httpx
    from fastapi.testclient import TestClient

WAIT_SECONDS = 90.0  # the worker starts Python, opens the library and triages a few dozen files


@pytest.fixture
def laptop_item(db: Database, ext4_image: mk.Built, tmp_path: Path, world: World) -> int:  # noqa: F811
    key = tmp_path / "make.key"
    key.write_text(PASSPHRASE)
    image = make_luks(ext4_image.path, tmp_path / "laptop.img", key)
    key.unlink()
    service = TriageService(db, tmp_path / "web-data")
    return service.evidence.add(image, actor=Actor.cli("lab"), label="Laptop", case_number="OP-OWN-1").id


def _wait_finished(web: TestClient, run_id: int) -> dict[str, object]:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        run: dict[str, object] = web.get(f"/api/v1/triage/runs/{run_id}").json()
        if run["status"] in ("finished", "failed") and not run["working"]:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} not finished in {WAIT_SECONDS} s")


def test_a_key_typed_into_the_launcher_unlocks_the_volume_and_is_kept_nowhere(  # noqa: PLR0917 - fixtures
    client: TestClient,  # noqa: F811
    world: World,  # noqa: F811
    clock: Clock,  # noqa: F811
    db: Database,
    tmp_path: Path,
    laptop_item: int,
) -> None:
    examiner = world.users[Role.EXAMINER]
    assert log_in(client, examiner, clock) == 303
    page = client.get("/evidence").text
    assert 'type="password" name="key"' in page
    form = {"identify": "on", "archive_depth": "3", "key_kind": "passphrase", "key": PASSPHRASE}
    started = client.post(f"/evidence/{laptop_item}/triage", data={**form, "csrf_token": csrf(client)})
    assert started.status_code == 303, started.text
    run_id = int(started.headers["location"].rsplit("/", 1)[1])
    run = _wait_finished(client, run_id)
    assert run["status"] == "finished", run
    shown = client.get(f"/triage/runs/{run_id}").text

    service = TriageService(db, tmp_path / "web-data")
    records = list(iter_records(Path(service.status(run_id, Actor.cli("t")).results_dir)))
    assert records
    assert all(r.address.startswith("luks1 > ext4 > /") for r in records)
    unlocked = [(e.actor, e.detail) for e in service.evidence.custody(laptop_item, Actor.cli("t"))]
    assert (
        examiner.username,
        {"volume": "file system at offset 0", "encryption": "LUKS1", "key": "passphrase", "run": run_id},
    ) in unlocked
    assert_nowhere(db, tmp_path, page, started.text, shown)  # the worker's log is under tmp_path too
    assert (tmp_path / "web-data" / "runs" / f"run-{run_id:06d}.log").is_file()


def test_a_key_of_a_kind_that_cannot_be_typed_is_refused_on_the_page(
    client: TestClient,  # noqa: F811
    world: World,  # noqa: F811
    clock: Clock,  # noqa: F811
    laptop_item: int,
) -> None:
    assert log_in(client, world.users[Role.EXAMINER], clock) == 303
    form = {"archive_depth": "3", "key_kind": "startup-key", "key": "typed-secret-value"}
    refused = client.post(f"/evidence/{laptop_item}/triage", data={**form, "csrf_token": csrf(client)})
    assert refused.status_code == 422
    assert "a key of kind &#39;startup-key&#39; cannot be typed" in refused.text
    assert "typed-secret-value" not in refused.text


def test_the_api_takes_a_key_for_a_run_and_never_shows_it(  # noqa: PLR0917 - fixtures
    client: TestClient,  # noqa: F811
    world: World,  # noqa: F811
    clock: Clock,  # noqa: F811
    db: Database,
    tmp_path: Path,
    laptop_item: int,
) -> None:
    assert log_in(client, world.users[Role.EXAMINER], clock) == 303
    headers = {"X-CSRF-Token": csrf(client)}
    too_long = client.post(
        f"/api/v1/evidence/{laptop_item}/triage-runs", json={"key": "k" * 1025}, headers=headers
    )
    assert too_long.status_code == 422
    assert "k" * 1025 not in too_long.text
    answer = client.post(
        f"/api/v1/evidence/{laptop_item}/triage-runs",
        json={"archive_depth": 1, "key": PASSPHRASE, "key_kind": "password"},
        headers=headers,
    )
    assert answer.status_code == 202, answer.text
    run = _wait_finished(client, answer.json()["id"])
    assert run["status"] == "finished", run
    assert run["files_total"]
    custody = TriageService(db, tmp_path / "web-data").evidence.custody(laptop_item, Actor.cli("t"))
    [unlocked] = [e.detail for e in custody if e.action == "volume-unlocked"]
    assert unlocked["key"] == "password"  # typed as an APFS-style password, tried as LUKS's passphrase
    assert_nowhere(db, tmp_path, answer.text, str(run))
