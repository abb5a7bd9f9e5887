"""Logins, sessions, CSRF, secure headers and API tokens, through the HTTP surface."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.web.conftest import FAST, Clock, World, csrf, log_in, make_app
from vigilant.security.auth import AuthService
from vigilant.security.rights import Role
from vigilant.store import Database
from vigilant.web.auth import CSRF_FIELD, SESSION_COOKIE


def test_login_with_totp_opens_a_session(client: TestClient, world: World, clock: Clock) -> None:
    user = world.users[Role.INVESTIGATOR]
    assert client.get("/").headers["location"] == "/login"
    assert log_in(client, user, clock) == 303
    page = client.get("/")
    assert page.status_code == 200
    assert user.username in page.text
    me = client.get("/api/v1/me").json()
    assert me["username"] == user.username
    assert me["roles"] == ["investigator"]
    assert me["agency_id"] == world.own_agency


def test_session_cookie_flags(db: Database, tmp_path: Path, clock: Clock, world: World) -> None:
    user = world.users[Role.ANALYST]
    app = make_app(db, tmp_path, clock, cookie_secure=True)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:  # Secure cookies
        form = c.get("/login")
        response = c.post(
            "/login",
            data={
                "username": user.username,
                "password": "correct horse battery staple",
                "totp": user.code(clock.now),
                CSRF_FIELD: form.cookies.get("vigilant_login_csrf") or "",
            },
        )
    assert response.status_code == 303
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in session
    assert "Secure" in session
    assert "SameSite=strict" in session


def test_wrong_password_is_refused(client: TestClient, world: World, clock: Clock) -> None:
    user = world.users[Role.INVESTIGATOR]
    assert log_in(client, user, clock, password="wrong password entirely") == 401
    assert SESSION_COOKIE not in client.cookies
    assert client.get("/api/v1/me").status_code == 401


def test_wrong_code_is_refused(client: TestClient, world: World, clock: Clock) -> None:
    user = world.users[Role.INVESTIGATOR]
    form = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": user.username,
            "password": "correct horse battery staple",
            "totp": "000000" if user.code(clock.now) != "000000" else "111111",
            CSRF_FIELD: form.cookies.get("vigilant_login_csrf") or "",
        },
    )
    assert response.status_code == 401
    assert "login failed" in response.text


def test_lockout_holds_even_with_the_right_password(client: TestClient, world: World, clock: Clock) -> None:
    user = world.users[Role.INVESTIGATOR]
    for _ in range(5):
        assert log_in(client, user, clock, password="wrong password entirely") == 401
    clock.advance(seconds=30)
    form = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": user.username,
            "password": "correct horse battery staple",
            "totp": user.code(clock.now),
            CSRF_FIELD: form.cookies.get("vigilant_login_csrf") or "",
        },
    )
    assert response.status_code == 401
    assert "login failed" in response.text
    clock.advance(minutes=10, seconds=30)
    assert log_in(client, user, clock) == 303


def _login_answers(client: TestClient, username: str, totp: str) -> list[tuple[int, str]]:
    """Status and page of 7 logins (5 wrong passwords lock a real account, then 2 right ones), with the
    name typed and the form's fresh random token blanked: all that may differ between two names."""
    answers = []
    for i in range(7):
        form = client.get("/login")
        token = form.cookies.get("vigilant_login_csrf") or ""
        password = "wrong password entirely" if i < 5 else "correct horse battery staple"
        data = {"username": username, "password": password, "totp": totp, CSRF_FIELD: token}
        response = client.post("/login", data=data)
        fresh = response.cookies.get("vigilant_login_csrf") or ""  # the next form's token
        answers.append((response.status_code, response.text.replace(fresh, "T").replace(username, "U")))
    return answers


def test_a_locked_account_answers_as_an_unknown_name_does(
    client: TestClient, world: World, clock: Clock
) -> None:
    """Issue 11 item 18: the lockout said "account locked until …" for a real name only."""
    user = world.users[Role.INVESTIGATOR]
    real = _login_answers(client, user.username, user.code(clock.now))
    unknown = _login_answers(client, "no-such-user-ops", user.code(clock.now))
    assert [status for status, _ in real] == [401] * 7
    assert real == unknown
    assert "locked" not in real[-1][1].split("<main>")[1].split("</main>")[0].replace("account locks", "")


def test_idle_session_ends_after_30_minutes(client: TestClient, world: World, clock: Clock) -> None:
    assert log_in(client, world.users[Role.ANALYST], clock) == 303
    clock.advance(minutes=29)
    assert client.get("/api/v1/me").status_code == 200  # activity restarts the idle count
    clock.advance(minutes=29)
    assert client.get("/").status_code == 200
    clock.advance(minutes=30)
    page = client.get("/cases")
    assert page.status_code == 303
    assert page.headers["location"] == "/login"
    api = client.get("/api/v1/me")
    assert api.status_code == 401
    assert "log in" in api.json()["hint"]


def test_logout_ends_the_session(client: TestClient, world: World, clock: Clock) -> None:
    assert log_in(client, world.users[Role.ANALYST], clock) == 303
    session = client.cookies.get(SESSION_COOKIE) or ""
    assert client.post("/logout", data={CSRF_FIELD: csrf(client)}).status_code == 303
    client.cookies.set(SESSION_COOKIE, session)  # a copied cookie is no use after logout
    assert client.get("/api/v1/me").status_code == 401


def test_state_changes_need_the_csrf_token(client: TestClient, world: World, clock: Clock) -> None:
    assert log_in(client, world.users[Role.INVESTIGATOR], clock) == 303
    form = {"number": "C-9", "title": "Chestnut", "distribution": "agency_only"}
    assert client.post("/cases/new", data=form).status_code == 403
    assert client.post("/cases/new", data={**form, CSRF_FIELD: "f" * 64}).status_code == 403
    assert client.post("/api/v1/cases", json={"number": "C-9", "title": "Chestnut"}).status_code == 403
    assert client.post("/logout").status_code == 403
    created = client.post("/cases/new", data={**form, CSRF_FIELD: csrf(client)})
    assert created.status_code == 303
    assert client.get(created.headers["location"]).status_code == 200
    via_header = client.post(
        "/api/v1/cases", json={"number": "C-10", "title": "Walnut"}, headers={"X-CSRF-Token": csrf(client)}
    )
    assert via_header.status_code == 201


def test_login_form_needs_its_own_token(client: TestClient, world: World, clock: Clock) -> None:
    user = world.users[Role.INVESTIGATOR]
    response = client.post(
        "/login",
        data={
            "username": user.username,
            "password": "correct horse battery staple",
            "totp": user.code(clock.now),
        },
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in client.cookies


def test_secure_headers_on_every_kind_of_answer(client: TestClient, world: World, clock: Clock) -> None:
    answers = [client.get("/login"), client.get("/api/v1/me"), client.get("/")]
    assert log_in(client, world.users[Role.INVESTIGATOR], clock) == 303
    answers += [client.get("/"), client.get("/api/v1/cases"), client.get("/api/v1/cases/999999")]
    for response in answers:
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"
    css = client.get("/static/app.css")
    assert css.status_code == 200
    assert css.headers["x-content-type-options"] == "nosniff"


def test_api_tokens(client: TestClient, db: Database, world: World, clock: Clock) -> None:
    user = world.users[Role.INVESTIGATOR]
    token = AuthService(db, passwords=FAST).create_api_token(user.actor(), "script", now=clock.now).token
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=bearer).json()["username"] == user.username
    # Bearer requests need no CSRF token: a browser never adds that header on its own.
    created = client.post("/api/v1/cases", json={"number": "T-1", "title": "Token made"}, headers=bearer)
    assert created.status_code == 201
    assert created.json()["agency_id"] == world.own_agency
    for bad in (f"Bearer {token}x", "Bearer vgt_nothing", f"Basic {token}", "Bearer"):
        refused = client.get("/api/v1/me", headers={"Authorization": bad})
        assert refused.status_code == 401
        assert refused.json()["hint"]


def test_a_person_makes_lists_and_revokes_their_own_tokens(
    client: TestClient, world: World, clock: Clock
) -> None:
    user = world.users[Role.INVESTIGATOR]
    assert log_in(client, user, clock) == 303
    session_csrf = {"X-CSRF-Token": csrf(client)}
    made = client.post("/api/v1/tokens", json={"name": "nightly import"}, headers=session_csrf)
    assert made.status_code == 201
    token = made.json()["token"]
    assert token.startswith("vgt_")
    listed = client.get("/api/v1/tokens").json()
    assert [(t["name"], t["roles"], t["revoked_at"]) for t in listed] == [
        ("nightly import", ["investigator"], None)
    ]
    assert token not in client.get("/api/v1/tokens").text  # shown once, never again
    too_much = client.post(
        "/api/v1/tokens", json={"name": "x", "roles": ["investigator", "admin"]}, headers=session_csrf
    )
    assert too_much.status_code == 403
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=bearer).json()["username"] == user.username
    # A token cannot mint tokens: a leaked one cannot extend its own life.
    minted = client.post("/api/v1/tokens", json={"name": "more"}, headers=bearer)
    assert minted.status_code == 403
    assert client.delete(f"/api/v1/tokens/{made.json()['id']}", headers=session_csrf).status_code == 204
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    assert client.get("/api/v1/tokens").json()[0]["revoked_at"] is not None
    # Someone else's token: refused, and an id that does not exist gets the same answer.
    assert client.delete(f"/api/v1/tokens/{world.other_token}", headers=session_csrf).status_code == 403
    assert client.delete("/api/v1/tokens/999999", headers=session_csrf).status_code == 403


def test_service_errors_map_to_http(client: TestClient, world: World, clock: Clock) -> None:
    assert log_in(client, world.users[Role.INVESTIGATOR], clock) == 303
    headers = {"X-CSRF-Token": csrf(client)}
    first = client.post("/api/v1/cases", json={"number": "D-1", "title": "One"}, headers=headers)
    assert first.status_code == 201
    again = client.post("/api/v1/cases", json={"number": "D-1", "title": "Two"}, headers=headers)
    assert again.status_code == 409
    assert again.json()["hint"]
    operation = client.post(
        "/api/v1/cases", json={"number": "D-2", "title": "Two", "operation": "NOPE"}, headers=headers
    )
    assert operation.status_code == 404
    shared = client.post(
        "/api/v1/cases", json={"number": "D-3", "title": "x", "distribution": "operation"}, headers=headers
    )
    assert shared.status_code == 422
    page = client.post("/cases/new", data={"number": "D-1", "title": "Dup", CSRF_FIELD: csrf(client)})
    assert page.status_code == 409
    assert "already has a case numbered" in page.text


def test_openapi_is_published_to_logged_in_callers(client: TestClient, world: World, clock: Clock) -> None:
    assert client.get("/api/v1/openapi.json").status_code == 401
    assert log_in(client, world.users[Role.AUDITOR], clock) == 303
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/cases/{case_id}" in schema["paths"]
    assert "/login" not in schema["paths"]  # pages are for people, not part of the API


def test_case_search_and_pages(client: TestClient, world: World, clock: Clock) -> None:
    assert log_in(client, world.users[Role.INVESTIGATOR], clock) == 303
    headers = {"X-CSRF-Token": csrf(client)}
    for i in range(30):
        client.post("/api/v1/cases", json={"number": f"P-{i:02}", "title": f"Poplar {i}"}, headers=headers)
    first = client.get("/api/v1/cases", params={"q": "poplar", "limit": 20}).json()
    assert len(first["cases"]) == 20
    assert first["more"]
    second = client.get("/api/v1/cases", params={"q": "poplar", "limit": 20, "offset": 20}).json()
    assert len(second["cases"]) == 10
    assert not second["more"]
    assert client.get("/api/v1/cases", params={"q": "100%"}).json()["cases"] == []
    page = client.get("/cases", params={"q": "Poplar", "page": 2})
    assert page.status_code == 200
    assert "Previous" in page.text
    assert "Next" not in page.text
