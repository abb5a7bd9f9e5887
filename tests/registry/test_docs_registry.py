"""docs/registry.md names every field of the import format and every rule version, with its figures."""

from __future__ import annotations

from tests.conftest import REPO
from vigilant.registry.models import Regime
from vigilant.registry.records import PARTS, RegistrantIn
from vigilant.registry.rules import rule_set

DOC = (REPO / "docs" / "registry.md").read_text()


def test_every_import_field_is_documented() -> None:
    names = set(RegistrantIn.model_fields)
    for _, model in PARTS.values():
        names |= set(model.model_fields)
    missing = sorted(n for n in names if f"`{n}`" not in DOC)
    assert not missing, f"docs/registry.md does not name {missing}"
    for record in PARTS:
        assert f"`{record}`" in DOC


def test_every_rule_version_is_documented_with_its_figures() -> None:
    for regime in Regime:
        for v in rule_set(regime).versions:
            row = next((line for line in DOC.splitlines() if line.startswith(f"| `{v.id}` |")), None)
            assert row is not None, f"docs/registry.md has no row for {v.id}"
            cells = [c.strip() for c in row.strip("|").split("|")]
            assert cells[1] == v.effective_from.isoformat()
            assert cells[2] == f"±{v.annual_window_days} days"
            assert cells[3] == f"{v.residence_change_days} days"
            assert cells[4] == f"{v.initial_report_days} days"
            assert cells[5] == f"{v.due_soon_days} days"
