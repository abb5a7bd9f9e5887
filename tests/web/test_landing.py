"""The dashboard is every role's landing page. Roles whose work is not operations (registry officers,
verifiers, auditors) used to land on "No operations for your role: … may not operations.read": a refusal as
the first thing they read. They land on their own work instead: the pages their menu offers, each with what
it is for, and no refusal."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from tests.web.conftest import Clock, World, log_in
from vigilant.security.rights import Actor, Role
from vigilant.web.display import MENU, menu_for
from vigilant.web.landing import PURPOSES


@pytest.mark.parametrize("role", [Role.REGISTRY_OFFICER, Role.VERIFIER, Role.AUDITOR])
def test_a_role_without_operations_lands_on_its_own_work(
    client: TestClient, world: World, clock: Clock, role: Role
) -> None:
    assert log_in(client, world.users[role], clock) == 303
    page = client.get("/")
    assert page.status_code == 200
    assert "may not" not in page.text
    assert "No operations" not in page.text
    main = page.text.split("<main", 1)[1]
    login = world.users[role]
    actor = Actor(login.user_id, login.username, frozenset({role}), login.agency_id)
    offered = {item.href for item in menu_for(actor)} - {"/"}
    linked = set(re.findall(r'<a href="([^"]+)"', main))
    assert offered <= linked, offered - linked
    for href in offered:
        assert str(escape(PURPOSES[href])) in page.text


def test_operations_roles_still_see_their_operations(client: TestClient, world: World, clock: Clock) -> None:
    assert log_in(client, world.users[Role.COORDINATOR], clock) == 303
    page = client.get("/")
    assert page.status_code == 200
    assert "Your operations" in page.text


def test_every_menu_page_says_what_it_is_for() -> None:
    assert {item.href for item in MENU if item.href != "/"} <= set(PURPOSES)
