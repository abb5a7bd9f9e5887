"""The review API: blurred thumbnails served with no-store, the clear one only after an audited reveal,
decisions and undo, the figures; another agency gets "not found" for everything."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from tests.review.scenario import build
from tests.web.conftest import Clock, World, client, clock, csrf, log_in
from vigilant.security.rights import Role
from vigilant.store import Database

if TYPE_CHECKING:
    from fastapi.testclient import TestClient  # imported for real by the web tests' conftest, quietly

__all__ = ["client", "clock"]  # the fixtures this module borrows from the web tests


def test_review_through_the_api(client: TestClient, db: Database, tmp_path: Path, clock: Clock) -> None:
    sc = build(db, tmp_path / "scenario")
    world: World = sc.world
    run_id = sc.run_id
    assert log_in(client, world.users[Role.EXAMINER], clock) == 303
    headers = {"X-CSRF-Token": csrf(client)}
    synced = client.post(f"/api/v1/review/runs/{run_id}/sync", headers=headers).json()
    assert (synced["items_added"], synced["stacks"]) == (5, 4)
    queue = client.get(f"/api/v1/review/runs/{run_id}/queue").json()
    assert queue["total"] == 4
    pair = next(i for i in queue["items"] if i["stack_size"] == 2)
    assert pair["reasons"]

    thumb = client.get(f"/api/v1/review/items/{pair['id']}/thumbnail")
    assert thumb.status_code == 200
    assert thumb.headers["cache-control"] == "no-store"
    assert Image.open(io.BytesIO(thumb.content)).mode == "L"
    assert client.get(f"/api/v1/review/items/{pair['id']}/clear").status_code == 403
    assert (
        client.post(
            f"/api/v1/review/items/{pair['id']}/reveal", json={"reason": ""}, headers=headers
        ).status_code
        == 422
    )
    shown = client.post(
        f"/api/v1/review/items/{pair['id']}/reveal", json={"reason": "compare"}, headers=headers
    )
    assert shown.json()["seconds"] == 30
    sharp = client.get(f"/api/v1/review/items/{pair['id']}/clear")
    assert (sharp.status_code, sharp.headers["cache-control"]) == (200, "no-store")
    assert Image.open(io.BytesIO(sharp.content)).mode == "RGB"
    assert client.get("/api/v1/review/exposure").json()["revealed"] == 1

    decided = client.post(
        f"/api/v1/review/items/{pair['id']}/decision",
        json={"category": "1", "series": "API Q", "victims": [{"age_band": "under-12", "sex": "female"}]},
        headers=headers,
    ).json()
    assert len(decided["items"]) == 2
    stacks = client.get(f"/api/v1/review/runs/{run_id}/stacks").json()
    assert stacks["decided"] == 2
    vics = client.get(f"/api/v1/review/runs/{run_id}/vics")
    assert len(vics.json()["value"]) == 2
    figures = client.get(f"/api/v1/review/operations/{world.own_operation}/figures").json()
    assert figures["under_12"] == {"count": 1, "of": 1, "percent": 100.0}
    [series] = client.get("/api/v1/review/board").json()
    assert (series["series"], series["items"], series["cases"]) == ("API Q", 2, ["OP-OWN-1"])
    assert "API Q" in client.get("/review").text  # the board on the review page
    assert client.post("/api/v1/review/undo", headers=headers).json()["items"] == decided["items"]

    page = client.get(f"/review/runs/{run_id}")
    assert page.status_code == 200
    assert "stack of 2" in page.text
    assert "/clear" not in page.text  # the page names only blurred thumbnails
    assert "<video" not in page.text  # nothing plays
    client.post("/logout", data={"csrf_token": csrf(client)})

    # Logged out: nothing at all.
    assert client.get(f"/api/v1/review/items/{pair['id']}/thumbnail").status_code == 401
