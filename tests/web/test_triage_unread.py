"""The web page and the API say what of the evidence a run could not read (issue 11, A1).

A run over an MBR disk whose second partition has its ext4 superblock overwritten finishes with the first
partition's files; the page and the API's run (in the list and alone) say "1 of 2 volumes unreadable"
and where. (The CLI and the reports: tests/triage/test_unread_volumes.py.)
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.triage.test_unread_volumes import mbr_disk, small_ext4, wipe_superblock
from tests.web.conftest import Clock, World, log_in
from vigilant.security.rights import Actor, Role
from vigilant.store import Database
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings


def test_the_run_page_and_the_api_say_one_of_two_volumes_unreadable(
    *, client: TestClient, world: World, clock: Clock, db: Database, tmp_path: Path
) -> None:
    good, bad = small_ext4(tmp_path, "good", 50), small_ext4(tmp_path, "bad", 60)
    wipe_superblock(bad)
    disk, offsets = mbr_disk(tmp_path, [good, bad])
    service = TriageService(db, tmp_path / "web-data")
    item = service.evidence.add(
        disk, actor=Actor.cli("lab"), label="Wiped disk", case_number="OP-OWN-1", source_type="raw"
    )
    run_id = service.start(item.id, TriageSettings(processes=0, threads=1), Actor.cli("lab"), Progress())

    assert log_in(client, world.users[Role.EXAMINER], clock) == 303
    listing = client.get("/triage/runs")
    assert "finished — <strong" in listing.text
    assert "1 of 2 volumes unreadable" in listing.text
    page = client.get(f"/triage/runs/{run_id}")
    assert page.status_code == 200
    assert "1 of 2 volumes unreadable" in page.text
    assert "Evidence not read: 1 of 2 volumes unreadable" in page.text
    assert f"@ {offsets[1]}" in page.text
    assert "no file system The Sleuth Kit can read" in page.text

    alone = client.get(f"/api/v1/triage/runs/{run_id}").json()
    listed = next(r for r in client.get("/api/v1/triage/runs").json()["runs"] if r["id"] == run_id)
    for shown in (alone, listed):
        assert shown["status"] == "finished"
        assert shown["volumes"] == 2
        assert shown["volumes_unreadable"] == 1
        assert shown["not_read"] == "1 of 2 volumes unreadable"
        [part] = shown["not_read_parts"]
        assert part["volume"] is True
        assert f"@ {offsets[1]}" in part["where"]
