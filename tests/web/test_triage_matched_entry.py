"""The run page and the API say which library entry a perceptual hit matched (issue 11, A4).

The run and its hit: tests/triage/reports/test_matched_entry.py (a re-encoded copy only PDQ finds).
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.triage.reports.test_matched_entry import NAME, SERIES, triage_a_near_copy
from tests.web.conftest import Clock, World, log_in
from vigilant.security.rights import Role
from vigilant.store import Database


def test_the_run_page_and_the_api_name_the_matched_entry(
    *, client: TestClient, world: World, clock: Clock, db: Database, tmp_path: Path
) -> None:
    matched = triage_a_near_copy(db, tmp_path)
    md5, pdq = matched.known.md5.hex(), matched.known_pdq.hex()
    assert log_in(client, world.users[Role.EXAMINER], clock) == 303

    page = client.get(f"/triage/runs/{matched.run_id}")
    assert page.status_code == 200
    assert f"entry #{matched.hit.entry_id} “{NAME}”" in page.text
    assert f"pdq d={matched.hit.distance} (full picture)" in page.text
    assert f"MD5 {md5}" in page.text
    assert f"PDQ {pdq}" in page.text
    assert SERIES in page.text

    run = client.get(f"/api/v1/triage/runs/{matched.run_id}").json()
    assert [s["pdq_method"] for s in run["library"]] == ["full"]
    [found] = [f for f in run["hits"] if f["path"].endswith("holiday.jpg")]
    [hit] = found["hits"]
    assert hit["entry_id"] == matched.hit.entry_id
    assert (hit["entry_name"], hit["series"], hit["pdq_method"]) == (NAME, SERIES, "full")
    assert (hit["entry_md5"], hit["entry_pdq"]) == (md5, pdq)
    assert hit["entry_sha256"] == matched.known.sha256.hex()
