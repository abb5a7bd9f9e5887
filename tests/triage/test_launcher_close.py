"""A web server's follow-up of a run (the link graph's rebuild once the run's worker exits) runs on a reaper
thread of the server. When the server stops it disposes its database: a follow-up still running, or one
whose worker exits later, used the disposed engine and left a connection open (on PostgreSQL: "Exception
ignored in BaseConnection.__del__", and a database that cannot be dropped). The launcher closes first: it
waits for follow-ups in flight and skips later ones (the links pages show such a run as finished after the
last rebuild)."""

from __future__ import annotations

import threading
from pathlib import Path

from vigilant.config import Settings
from vigilant.store import Database
from vigilant.triage.launcher import RunLauncher


def _launcher(db: Database, tmp_path: Path, after: object) -> RunLauncher:
    settings = Settings(data_dir=tmp_path / "data", database_url=db.url, user="test")
    return RunLauncher(settings, db, after_run=after)  # type: ignore[arg-type]


def test_close_waits_for_a_follow_up_in_flight(db: Database, tmp_path: Path) -> None:
    started, release, done = threading.Event(), threading.Event(), []

    def follow_up(run_id: int) -> None:
        started.set()
        release.wait(10)
        done.append(run_id)

    launcher = _launcher(db, tmp_path, follow_up)
    reaper = threading.Thread(target=launcher.follow_up, args=(7,))
    reaper.start()
    assert started.wait(10)
    closing = threading.Thread(target=launcher.close)
    closing.start()
    closing.join(0.3)
    assert closing.is_alive()  # still waiting for the follow-up
    release.set()
    closing.join(10)
    reaper.join(10)
    assert not closing.is_alive()
    assert done == [7]


def test_a_follow_up_after_close_is_skipped(db: Database, tmp_path: Path) -> None:
    done: list[int] = []
    launcher = _launcher(db, tmp_path, done.append)
    launcher.follow_up(1)
    launcher.close()
    launcher.follow_up(2)  # a worker that exited after the server stopped
    assert done == [1]
