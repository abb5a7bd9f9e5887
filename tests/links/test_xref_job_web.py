"""The xref job from the web: the page's "run" starts it after the response and the page says where the
last job stands; an interrupted job is offered for resuming; GET /api/v1/links/status gives its progress."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tests.web.conftest import Clock, World, client, clock, csrf, log_in, world
from vigilant.links import jobs
from vigilant.security.rights import Role
from vigilant.store import Database

if TYPE_CHECKING:  # imported for real only after tests.web.conftest, which quiets Starlette's test client
    from fastapi.testclient import TestClient

__all__ = ["client", "clock", "world"]  # the web tests' fixtures, used here by name

WEB_DATA = "web-data"  # the web app's data folder in tests/web/conftest.py


def test_the_xref_page_runs_the_job_and_says_where_it_stands(
    db: Database, client: TestClient, world: World, clock: Clock, tmp_path: Path
) -> None:
    assert log_in(client, world.users[Role.ANALYST], clock) == 303
    page = client.get("/links/xref").text
    assert "The model has not run yet." in page

    # A job a killed process left behind: offered for resuming, and resumed by the page's button.
    left = jobs.start(db, "xref", "someone", {})
    with jobs.working_on(tmp_path / WEB_DATA, left):  # its folder and lock, let go as the process died
        pass
    with db.session() as s:
        jobs.progress(s, left, ("scoring", 2, 9), "blocking rule 3")
    page = client.get("/links/xref").text
    assert "Resume the interrupted run" in page
    assert f"xref job {left} (interrupted): scoring, 2 of 9" in page
    status = client.get("/api/v1/links/status").json()
    assert (status["last_job"]["id"], status["last_job"]["status"]) == (left, "interrupted")

    sent = client.post("/links/xref/run", data={"csrf_token": csrf(client)})
    assert sent.status_code == 303, sent.text  # (the test client returns once the job, run after, ends)
    page = client.get("/links/xref").text
    assert f"xref job {left} (finished): 2 persons, 1 pairs compared, 0 proposals (xref run 1)" in page
    assert "Run the model again" in page
    job = client.get("/api/v1/links/status").json()["last_job"]
    assert (job["id"], job["status"], job["phase"]) == (left, "finished", "done")
    assert job["result"]["persons"] == 2  # the world's two persons
    assert (tmp_path / WEB_DATA / "links" / "jobs" / str(left) / "persons.parquet").is_file()
