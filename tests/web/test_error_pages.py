"""Error answers: one JSON shape for the API (issue 11, item 21), readable pages for people (item 24).

The API answered FastAPI's ``{"detail": …}`` for invalid input and Starlette's for unknown paths while
its description promised ``{"error", "hint"}``; the error pages lost the menu and told a person in a
browser to run a CLI command.
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.conftest import Clock, World, log_in
from vigilant.security.rights import Role

ERROR_CODES = {"400", "401", "403", "404", "409", "422", "500"}


def _main(html: str) -> str:
    return html.split("<main>")[1].split("</main>", maxsplit=1)[0]


def _menu(html: str) -> list[str]:
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S)
    return re.findall(r'href="([^"]+)"', nav.group(1)) if nav else []


def test_every_api_error_has_one_shape(client: TestClient, world: World, clock: Clock) -> None:
    assert log_in(client, world.users[Role.INVESTIGATOR], clock) == 303
    answers = {
        "invalid query": client.get("/api/v1/cases?limit=0"),
        "invalid body": client.post("/api/v1/library/lookup", json={"hashes": "x"}, headers=_csrf(client)),
        "id that cannot exist": client.get("/api/v1/cases/0"),
        "not visible": client.get(f"/api/v1/cases/{world.other_case}"),
        "no such path": client.get("/api/v1/no-such-thing"),
        "wrong method": client.put("/api/v1/cases", headers=_csrf(client)),
        "refused by role": client.get("/api/v1/audit/events"),
    }
    statuses = {name: r.status_code for name, r in answers.items()}
    assert statuses == {
        "invalid query": 422,
        "invalid body": 422,
        "id that cannot exist": 404,
        "not visible": 404,
        "no such path": 404,
        "wrong method": 405,
        "refused by role": 403,
    }
    for name, response in answers.items():
        body = response.json()
        assert set(body) == {"error", "hint"}, f"{name}: {body}"
        assert isinstance(body["error"], str), name
        assert body["error"], name
    assert "query limit" in answers["invalid query"].json()["error"]  # says which input was wrong
    assert "GET" in answers["wrong method"].headers["allow"]


def _csrf(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies.get("vigilant_csrf") or ""}


def test_the_description_documents_the_error_shape_on_every_operation(
    client: TestClient, world: World, clock: Clock
) -> None:
    assert log_in(client, world.users[Role.ANALYST], clock) == 303
    description = client.get("/api/v1/openapi.json").json()
    assert "HTTPValidationError" not in description["components"]["schemas"]  # FastAPI's own shape
    undocumented = []
    for path, methods in description["paths"].items():
        for method, operation in methods.items():
            responses = operation["responses"]
            missing = ERROR_CODES - set(responses)
            wrong = [
                code
                for code in ERROR_CODES & set(responses)
                if responses[code]["content"]["application/json"]["schema"]
                != {"$ref": "#/components/schemas/ErrorOut"}
            ]
            if missing or wrong:
                undocumented.append(
                    f"{method.upper()} {path}: missing {sorted(missing)}, other shape {wrong}"
                )
    assert not undocumented, "\n".join(undocumented)


def test_error_pages_keep_the_menu_and_give_no_cli_advice(
    client: TestClient, world: World, clock: Clock
) -> None:
    user = world.users[Role.INVESTIGATOR]
    assert log_in(client, user, clock) == 303
    menu = _menu(client.get("/").text)
    assert "/cases" in menu
    pages = {
        "refused": client.get("/audit"),  # investigators do not read the audit log
        "not visible": client.get(f"/cases/{world.other_case}"),
        "no such record": client.get("/cases/999999"),
        "id that cannot exist": client.get("/cases/0"),
        "no such page": client.get("/no-such-page"),
    }
    assert {name: r.status_code for name, r in pages.items()} == {
        "refused": 403,
        "not visible": 404,
        "no such record": 404,
        "id that cannot exist": 404,
        "no such page": 404,
    }
    for name, page in pages.items():
        assert _menu(page.text) == menu, f"{name}: the menu of the signed-in user is gone"
        assert user.username in page.text, name
        main = _main(page.text)
        assert "`" not in main, f"{name}: CLI advice on a page: {main}"
        assert "vigilant " not in main, f"{name}: CLI advice on a page: {main}"
        assert "What you can do:" in main, name
    assert "Your role does not allow this" in _main(pages["refused"].text)
    assert "administrator" in _main(pages["refused"].text)
    assert "was not found" in _main(pages["not visible"].text)


def test_an_error_page_for_nobody_signed_in_has_no_menu(client: TestClient) -> None:
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert _menu(page.text) == []
    assert 'href="/login"' in _main(page.text)


def test_a_time_in_a_query_is_iso_8601_only(client: TestClient, world: World, clock: Clock) -> None:
    """Found by schemathesis: ``since=1792`` was taken as Unix seconds while the description says
    date-time; a number is now refused as the description says."""
    assert log_in(client, world.users[Role.AUDITOR], clock) == 303
    refused = client.get("/api/v1/audit/events?since=1792")
    assert refused.status_code == 422
    assert "ISO 8601" in refused.json()["error"]
    assert client.get("/api/v1/audit/events?since=2026-03-01T00:00:00Z").status_code == 200
