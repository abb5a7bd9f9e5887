"""The registry map's data and page (issue 15, item 8): who is drawn, where, with what compliance; the filter;
the audit; who may see it; the tile-server setting and the page's Content-Security-Policy. Both engines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from tests.registry.helpers import registrant, write_jsonl
from tests.web.conftest import Clock, World, client, clock, log_in, world
from vigilant.config import Settings
from vigilant.errors import ConfigError
from vigilant.registry.facilities import import_facilities
from vigilant.registry.importer import import_registrants
from vigilant.security.models import AuditEventRow
from vigilant.security.rights import Actor, Role
from vigilant.store import Database
from vigilant.web.api_registry_map import map_csp

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

__all__ = ["client", "clock", "world"]  # the fixtures this module borrows
AS_OF = "2021-04-01"
DAYCARE = (44.6100, -79.4200)  # ~200 m north of ON-B's home


def _home(lat: float, lon: float, line: str = "12 Example St") -> dict[str, Any]:
    return {"kind": "main", "line": line, "municipality": "Orillia", "province": "ON",
            "valid_from": "2020-03-01", "latitude": lat, "longitude": lon}  # fmt: skip


def load(db: Database, world: World, tmp_path: Path) -> None:
    """ON-B non-compliant near the daycare; ON-C compliant 5 km away; ON-D with no coordinates (not drawn);
    ON-E with an ended address only (not drawn); one daycare and one park."""
    initial: list[dict[str, Any]] = [{"kind": "initial", "reported_on": "2020-03-10", "officer": "Cst. A"}]
    annual = [*initial, {"kind": "annual", "reported_on": "2021-03-12", "officer": "Cst. A"}]
    ended = {**_home(44.62, -79.43), "valid_to": "2021-01-01"}
    people = [
        registrant("ON-B", office="OPS", reports=initial, addresses=[_home(44.6082, -79.4197)]),
        registrant("ON-C", office="OPS", surname="Cole", reports=annual, addresses=[_home(44.65, -79.42)]),
        registrant("ON-D", office="OPS", surname="Dunn", addresses=[_home(None, None)]),  # type: ignore[arg-type]
        registrant("ON-E", office="OPS", surname="Eade", addresses=[ended]),
    ]
    keeper = Actor(None, "loader", frozenset({Role.REGISTRY_OFFICER}), world.own_agency)
    assert import_registrants(db, keeper, write_jsonl(tmp_path / "r.jsonl", *people)).created == 4
    layer = tmp_path / "f.csv"
    layer.write_text(
        "kind,name,latitude,longitude\n"
        f"daycare,Little Steps Daycare,{DAYCARE[0]},{DAYCARE[1]}\n"
        "park,Couchiching Park,44.6000,-79.4100\n",
        encoding="utf-8",
    )
    assert import_facilities(db, keeper, layer).imported == 2


def test_the_map_draws_located_current_registrants_with_their_compliance(
    db: Database, world: World, client: TestClient, clock: Clock, tmp_path: Path
) -> None:
    load(db, world, tmp_path)
    assert log_in(client, world.users[Role.REGISTRY_OFFICER], clock) == 303
    data = client.get(f"/api/v1/registry/map?as_of={AS_OF}").json()
    assert data["tiles"] is None
    drawn = {r["number"]: r for r in data["registrants"]}
    assert sorted(drawn) == ["ON-B", "ON-C"]  # ON-D has no coordinates, ON-E's address ended
    assert drawn["ON-B"]["status"] == "non_compliant"
    assert drawn["ON-B"]["rule"] == "federal-2011/annual-report"
    assert drawn["ON-C"]["status"] == "compliant"
    assert (drawn["ON-B"]["lat"], drawn["ON-B"]["lon"]) == (44.6082, -79.4197)
    assert drawn["ON-B"]["url"] == "/registry/registrants/ON-B"
    assert sorted(f["kind"] for f in data["facilities"]) == ["daycare", "park"]

    only_due = client.get(f"/api/v1/registry/map?as_of={AS_OF}&status=non_compliant").json()
    assert [r["number"] for r in only_due["registrants"]] == ["ON-B"]
    near = client.get(f"/api/v1/registry/map?as_of={AS_OF}&near=daycare&radius_m=500&facility=daycare").json()
    assert [r["number"] for r in near["registrants"]] == ["ON-B"]
    assert [f["name"] for f in near["facilities"]] == ["Little Steps Daycare"]
    assert near["radius_m"] == 500
    too_close = client.get(f"/api/v1/registry/map?as_of={AS_OF}&near=daycare&radius_m=100").json()
    assert too_close["registrants"] == []
    elsewhere = client.get(f"/api/v1/registry/map?as_of={AS_OF}&area=Halifax").json()
    assert elsewhere["registrants"] == []
    assert client.get("/api/v1/registry/map?status=lost").status_code == 422

    with db.session() as s:
        reads = s.scalars(select(AuditEventRow).where(AuditEventRow.object_type == "registry_map")).all()
    assert len(reads) == 5  # every answered map is one audited read, with its filter
    assert all(e.actor == world.users[Role.REGISTRY_OFFICER].username for e in reads)
    assert any("near daycare" in str(e.detail.get("query", "")) for e in reads)


def test_the_page_embeds_the_same_data_and_says_there_are_no_tiles(
    db: Database, world: World, client: TestClient, clock: Clock, tmp_path: Path
) -> None:
    load(db, world, tmp_path)
    assert log_in(client, world.users[Role.REGISTRY_OFFICER], clock) == 303
    page = client.get(f"/registry/map?as_of={AS_OF}&status=non_compliant")
    assert page.status_code == 200
    assert "No tile server configured" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert "img-src" not in page.headers["content-security-policy"]
    embedded = page.text.split('id="registry-map-data">', 1)[1].split("</script>", 1)[0]
    data = json.loads(embedded)
    assert [r["number"] for r in data["registrants"]] == ["ON-B"]
    assert "1 registrant and 2 facilities drawn" in page.text
    assert 'href="/registry/map"' in client.get("/registry").text  # the menu offers it


@pytest.mark.parametrize("role", [Role.INVESTIGATOR, Role.VERIFIER, Role.ANALYST, Role.AUDITOR])
def test_who_is_not_a_registry_reader_sees_no_map(
    role: Role, *, db: Database, world: World, client: TestClient, clock: Clock, tmp_path: Path
) -> None:
    load(db, world, tmp_path)
    assert log_in(client, world.users[role], clock) == 303
    assert client.get("/api/v1/registry/map").status_code == 403
    page = client.get("/registry/map")
    assert page.status_code == 403
    assert "ON-B" not in page.text
    assert "/registry/map" not in client.get("/").text  # not in the menu


def test_a_tile_server_is_a_template_and_opens_the_csp_to_its_origin_only(tmp_path: Path) -> None:
    base = {"VIGILANT_DATA_DIR": str(tmp_path)}
    assert Settings.from_env(base).map_tiles == ""
    url = "https://tiles.unit.example/{z}/{x}/{y}.png"
    assert Settings.from_env({**base, "VIGILANT_MAP_TILES": url}).map_tiles == url
    for bad in ("tiles.unit.example/{z}/{x}/{y}.png", "https://tiles.unit.example/map.png"):
        with pytest.raises(ConfigError, match="VIGILANT_MAP_TILES"):
            Settings.from_env({**base, "VIGILANT_MAP_TILES": bad})
    assert map_csp(url).endswith("; img-src 'self' https://tiles.unit.example")
    assert map_csp("https://{s}.tiles.unit.example/{z}/{x}/{y}.png").endswith("https://*.tiles.unit.example")
    assert "img-src" not in map_csp("")


def test_with_a_tile_server_the_page_hands_it_to_the_map(
    *,
    db: Database,
    world: World,
    client: TestClient,
    clock: Clock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VIGILANT_MAP_TILES", "http://127.0.0.1:9/{z}/{x}/{y}.png")
    load(db, world, tmp_path)
    assert log_in(client, world.users[Role.REGISTRY_OFFICER], clock) == 303
    page = client.get(f"/registry/map?as_of={AS_OF}")
    assert "No tile server configured" not in page.text
    assert page.headers["content-security-policy"].endswith("img-src 'self' http://127.0.0.1:9")
    assert client.get("/api/v1/registry/map").json()["tiles"] == "http://127.0.0.1:9/{z}/{x}/{y}.png"
