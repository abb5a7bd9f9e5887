"""The role → permission table: every role × permission against the table in docs/security.md."""

from __future__ import annotations

import pytest

from tests.conftest import REPO
from vigilant.errors import BadInputError, VigilantError
from vigilant.security.errors import PermissionDenied
from vigilant.security.rights import PERMISSIONS, Actor, Permission, Role, parse_roles, require


def _documented() -> dict[tuple[Role, Permission], bool]:
    text = (REPO / "docs" / "security.md").read_text()
    table = text.split("<!-- permissions-table -->")[1].split("<!-- /permissions-table -->")[0]
    lines = [line for line in table.strip().splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    roles = [Role(name) for name in header[1:]]
    grid: dict[tuple[Role, Permission], bool] = {}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        for role, cell in zip(roles, cells[1:], strict=True):
            grid[Permission(cells[0]), role] = cell == "✓"  # type: ignore[index]
    return grid


DOCUMENTED = _documented()


def test_the_documented_table_names_every_role_and_permission_once() -> None:
    assert len(DOCUMENTED) == len(Role) * len(Permission)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("permission", list(Permission))
def test_each_role_and_permission_as_documented(role: Role, permission: Permission) -> None:
    actor = Actor(user_id=1, username="u", roles=frozenset({role}), agency_id=1)
    granted = DOCUMENTED[permission, role]  # type: ignore[index]
    assert (permission in PERMISSIONS[role]) is granted
    if granted:
        require(actor, permission)
    else:
        with pytest.raises(PermissionDenied, match=f"u may not {permission}"):
            require(actor, permission)


def test_roles_add_up_and_nobody_without_a_role_may_anything() -> None:
    both = Actor(1, "u", frozenset({Role.AUDITOR, Role.EXAMINER}), 1)
    assert both.may(Permission.AUDIT_READ)
    assert both.may(Permission.TRIAGE_RUN)
    nobody = Actor(1, "u", frozenset(), 1)
    assert not any(nobody.may(p) for p in Permission)


def test_permission_denied_derives_from_the_one_base() -> None:
    assert issubclass(PermissionDenied, VigilantError)


def test_unknown_roles_are_refused_with_the_known_ones() -> None:
    assert parse_roles(["admin", "auditor"]) == {Role.ADMIN, Role.AUDITOR}
    with pytest.raises(BadInputError, match="unknown role 'boss'"):
        parse_roles(["boss"])
