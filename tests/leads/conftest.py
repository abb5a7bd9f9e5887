"""Fixtures for leads tests: a seeded library, observations, a synthetic MMDB and a jurisdiction table."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.leads.helpers import JURISDICTIONS_CSV, build_mmdb


@pytest.fixture(scope="session")
def mmdb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_mmdb(tmp_path_factory.mktemp("geo") / "synthetic-city-isp.mmdb")


@pytest.fixture
def jurisdictions(tmp_path: Path) -> Path:
    path = tmp_path / "jurisdictions.csv"
    path.write_text(JURISDICTIONS_CSV, encoding="utf-8")
    return path
