"""Geolocation from a synthetic MMDB (documentation ranges only) and routing by the jurisdiction table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vigilant.leads.errors import LeadInputError
from vigilant.leads.geo import GeoLocator, GeoResult
from vigilant.leads.jurisdiction import load_table


def test_lookup_gives_province_city_isp_and_the_database_build(mmdb: Path) -> None:
    with GeoLocator([mmdb]) as geo:
        result = geo.lookup("192.0.2.10")
        v6 = geo.lookup("2001:db8::1")
        nothing = geo.lookup("127.0.0.2")  # in no database
        [database] = geo.databases
    assert (result.country, result.subdivision, result.city, result.asn, result.isp) == (
        "CA", "ON", "Ottawa", 64500, "Example Net"
    )  # fmt: skip
    assert result.network == "192.0.2.0/25"
    assert (v6.subdivision, v6.city) == ("BC", "Vancouver")
    assert nothing == GeoResult()
    assert database.database_type == "Vigilant-Test-City-ISP"
    assert database.build_epoch > 0
    assert len(database.sha256) == 64


def test_a_file_that_is_not_mmdb_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "x.mmdb"
    bad.write_bytes(b"not a database")
    with pytest.raises(LeadInputError, match="MMDB"):
        GeoLocator([bad])


def test_routing_single_multi_and_foreign(mmdb: Path, jurisdictions: Path) -> None:
    table = load_table(jurisdictions, "NCECC")
    with GeoLocator([mmdb]) as geo:
        ottawa, toronto, montreal, seattle = (
            geo.lookup(ip) for ip in ("192.0.2.1", "192.0.2.200", "198.51.100.1", "203.0.113.1")
        )
    single = table.route({"192.0.2.1": ottawa})
    assert (single.agency, single.reason) == (
        "Ottawa Police ICE",
        "single-jurisdiction",
    )  # priority beats OPP
    multi = table.route({"192.0.2.1": ottawa, "198.51.100.1": montreal})
    assert (multi.agency, multi.reason) == ("NCECC", "multi-jurisdiction")
    assert multi.per_ip == {"192.0.2.1": "Ottawa Police ICE", "198.51.100.1": "Sûreté du Québec"}
    foreign = table.route({"203.0.113.1": seattle})
    assert (foreign.agency, foreign.reason) == ("NCECC", "no-jurisdiction")
    assert table.route({"192.0.2.200": toronto}).agency == "Toronto Police ICE"


def test_json_table_with_its_own_coordinating_agency_and_isp_rule(tmp_path: Path, mmdb: Path) -> None:
    path = tmp_path / "j.json"
    rules = [
        {"agency": "Cable Unit", "isp": "AS64501", "priority": 5},
        {"agency": "OPP ICE", "province": "Ontario"},
    ]
    path.write_text(json.dumps({"version": 1, "coordinating_agency": "Coordinator", "rules": rules}))
    table = load_table(path)
    with GeoLocator([mmdb]) as geo:
        assert table.route({"192.0.2.200": geo.lookup("192.0.2.200")}).agency == "Cable Unit"
        assert table.route({"192.0.2.1": geo.lookup("192.0.2.1")}).agency == "OPP ICE"
        assert table.route({"203.0.113.1": geo.lookup("203.0.113.1")}).agency == "Coordinator"


def test_a_rule_without_agency_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "j.csv"
    path.write_text("agency,province\nOPP,ON\n,QC\n")
    with pytest.raises(LeadInputError, match="line 3"):
        load_table(path)
