"""Integers out of range in paths and queries, and the headers of every error answer (issue 11, item 20).

The field test sent 2**63 as a case id: SQLite cannot bind it, the route raised, the client got a 500 without
the security headers (the connection was then reset). Every integer a route takes is now bounded by one
shared type (:mod:`vigilant.web.params`); these tests walk the app's routes, so a route added later with a
bare ``int`` fails here.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.web.conftest import FAST, PASSWORD, ROOT, T0, Clock, Login, World, csrf, log_in, make_app
from tests.web.test_matrix import Requests
from vigilant.security.rights import Role
from vigilant.security.users import UserService
from vigilant.store import Database
from vigilant.web.params import MAX_ID

OUT_OF_RANGE = (2**31, 2**63, 2**64, -1)  # 2**31: past PostgreSQL INTEGER keys
SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options", "cache-control")


def _is_int(annotation: Any) -> bool:
    return annotation is int or int in get_args(annotation)


def int_params(route: Any) -> Iterator[tuple[str, str, Any]]:
    """(where, name, field) of every integer path or query parameter, dependencies included."""
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        pending.extend(dependant.dependencies)
        for where, fields in (("path", dependant.path_params), ("query", dependant.query_params)):
            for field in fields:
                if _is_int(field.field_info.annotation):
                    yield where, field.alias, field


def _bounds(field: Any) -> tuple[int | None, int | None]:
    low = high = None
    for m in field.field_info.metadata:
        low = getattr(m, "ge", low)
        high = getattr(m, "le", high)
    return low, high


def every_route(app: FastAPI) -> Iterator[Any]:
    """Every API route and page, with its full path: routes of included routers come as their effective
    contexts (FastAPI keeps included routers nested), which carry ``path``, ``methods`` and ``dependant``."""
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            yield from contexts()
        elif isinstance(route, APIRoute):
            yield route


@pytest.fixture
def every_role(db: Database, world: World) -> Login:
    """One user holding every role, so that no route refuses before it reads the id."""
    made = UserService(db, passwords=FAST).create(
        ROOT, "every-role-ops", PASSWORD, roles=frozenset(Role), agency_id=world.own_agency, now=T0
    )
    secret = made.totp_uri.split("secret=")[1].split("&")[0]
    return Login(made.user_id, made.username, secret, Role.ADMIN, world.own_agency)


def test_every_integer_parameter_is_bounded(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    unbounded = [
        f"{sorted(route.methods)} {route.path} {where} {name}: ge={low} le={high}"
        for route in every_route(app)
        for where, name, field in int_params(route)
        for low, high in [_bounds(field)]
        if low is None or low < 0 or high is None or high > MAX_ID
    ]
    assert not unbounded, "integers without bounds (use vigilant.web.params):\n" + "\n".join(unbounded)


def test_out_of_range_integers_answer_4xx_with_the_headers(
    db: Database, tmp_path: Path, world: World, clock: Clock, every_role: Login
) -> None:
    app = make_app(db, tmp_path, clock)
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        _walk_out_of_range(app, client, world, clock, every_role)


def _walk_out_of_range(
    app: FastAPI, client: TestClient, world: World, clock: Clock, every_role: Login
) -> None:
    assert log_in(client, every_role, clock) == 303
    calls = Requests(world, itertools.count())
    failures: list[str] = []
    tried = 0
    routes = sorted(every_route(app), key=lambda r: "/logout" in r.path)  # logging out ends the session
    for route in routes:
        for method in sorted(route.methods):
            params = list(int_params(route))
            for (where, name, _field), value in itertools.product(params, OUT_OF_RANGE):
                url = calls.url(route.path, other=False)
                if where == "path":
                    url = calls.url(route.path.replace("{" + name + "}", str(value)), other=False)
                else:
                    url += f"?{name}={value}"
                response = client.request(method, url, **calls.body(method, route.path, csrf(client)))
                tried += 1
                missing = [h for h in SECURITY_HEADERS if h not in response.headers]
                api = route.path.startswith("/api/")
                if response.status_code >= 500 or missing:
                    failures.append(f"{method} {url}: {response.status_code}, headers missing: {missing}")
                elif response.status_code not in ((404, 422) if api else (400, 404)):
                    failures.append(f"{method} {url}: {response.status_code}, expected 404 or 4xx")
                elif api and set(response.json()) - {"error", "hint"}:
                    failures.append(f"{method} {url}: not the API's error shape: {response.text[:200]}")
    assert tried > 50  # the walk found the routes (paths with ids, pages and offsets)
    assert not failures, "\n".join(failures)


def test_a_server_error_answers_with_the_headers(db: Database, tmp_path: Path, clock: Clock) -> None:
    app = make_app(db, tmp_path, clock)

    def boom() -> None:
        raise RuntimeError("secret internals: /srv/vigilant/db password=hunter2")

    app.add_api_route("/api/v1/test-boom", boom)
    app.add_api_route("/test-boom", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        api = c.get("/api/v1/test-boom")
        page = c.get("/test-boom")
    for response in (api, page):
        assert response.status_code == 500
        assert [h for h in SECURITY_HEADERS if h not in response.headers] == []
        assert response.headers["cache-control"] == "no-store"
        assert "hunter2" not in response.text  # the exception's text stays in the server's log
    assert set(api.json()) == {"error", "hint"}
    assert page.headers["content-type"].startswith("text/html")
    assert "Internal Server Error" in page.text


def test_out_of_range_numbers_in_forms_and_bodies_answer_4xx(
    db: Database, tmp_path: Path, world: World, clock: Clock, every_role: Login
) -> None:
    """Every number a form or JSON body of the matrix's calls carries (a person, an agency, a depth), set
    to 2**31 and 2**64 (and "²" in forms): the pages parse form fields themselves, and int() has no upper
    bound."""
    app = make_app(db, tmp_path, clock)
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        assert log_in(client, every_role, clock) == 303
        calls = Requests(world, itertools.count())
        failures: list[str] = []
        tried = 0
        for route in every_route(app):
            if "POST" not in route.methods or route.path in ("/login", "/logout"):
                continue
            url = calls.url(route.path, other=False)
            sample = calls.body("POST", route.path, csrf(client))
            for kind in ("data", "json"):
                fields = sample.get(kind) or {}
                numeric = [k for k, v in fields.items() if k != "csrf_token" and str(v).isdigit()]
                # "²" is a digit to str.isdigit() and no number to int(): a form field only.
                values: tuple[int | str, ...] = (2**31, 2**64, "²") if kind == "data" else (2**31, 2**64)
                for name, value in itertools.product(numeric, values):
                    kwargs = {**calls.body("POST", route.path, csrf(client))}
                    kwargs[kind] = {**kwargs[kind], name: str(value) if kind == "data" else value}
                    response = client.post(url, **kwargs)
                    tried += 1
                    missing = [h for h in SECURITY_HEADERS if h not in response.headers]
                    if response.status_code >= 500 or missing:
                        failures.append(f"POST {url} {name}={value}: {response.status_code}, {missing}")
        assert tried >= 10
        assert not failures, "\n".join(failures)
