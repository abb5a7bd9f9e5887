"""The web faces of issue 11 A5: a set's custom profile and the publisher's label of a matched entry."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.library.helpers import entry, md5_of
from tests.web.conftest import Clock, World, csrf, log_in
from vigilant.library.categories import load_profile_file
from vigilant.library.importer import ImportRequest, import_hash_set
from vigilant.library.records import HashSetInfo, SetKind
from vigilant.library.samples import write_vics
from vigilant.library.service import LibraryService
from vigilant.library.store import LibraryStore
from vigilant.security.rights import Actor, Role
from vigilant.store import Database
from vigilant.web.auth import CSRF_FIELD
from vigilant.web.schemas import LookupOut

PROFILE = """\
name = "unit-x"
title = "Unit X grades"
[[categories]]
code = "S1"
label = "Severity one"
class = "abuse"
"""


def _import(db: Database, tmp_path: Path) -> tuple[HashSetInfo, HashSetInfo]:
    store = LibraryStore(db)
    caid = write_vics(
        tmp_path / "caid.json", [entry(i, category=str(1 + i % 3)) for i in (101, 102)], version="2.0"
    )
    mapped = import_hash_set(
        store,
        ImportRequest(
            caid, actor=Actor.cli("ann"), profile="caid-uk", category_map={"1": "A", "2": "B", "3": "C"}
        ),
    )
    (tmp_path / "unit-x.toml").write_text(PROFILE)
    listing = tmp_path / "unit-x.csv"
    listing.write_text(f"md5,category,category name\n{md5_of(103)},S1,Worst\n")
    custom = import_hash_set(
        store,
        ImportRequest(
            listing,
            actor=Actor.cli("ann"),
            kind=SetKind.KNOWN_BAD,
            custom_profile=load_profile_file(tmp_path / "unit-x.toml"),
        ),
    )
    assert mapped.hash_set is not None
    assert custom.hash_set is not None
    return mapped.hash_set, custom.hash_set


def test_set_page_reads_codes_through_the_stored_custom_profile(
    client: TestClient, world: World, clock: Clock, db: Database, tmp_path: Path
) -> None:
    _, custom = _import(db, tmp_path)
    assert log_in(client, world.users[Role.ANALYST], clock) == 303
    html = client.get(f"/library/sets/{custom.id}").text
    assert "Unit X grades" in html
    assert "Severity one" in html


def test_lookup_page_and_api_carry_the_publishers_label(
    client: TestClient, world: World, clock: Clock, db: Database, tmp_path: Path
) -> None:
    _import(db, tmp_path)
    assert log_in(client, world.users[Role.ANALYST], clock) == 303
    answer = client.post(
        "/library", data={"hashes": f"{md5_of(101)} {md5_of(103)}", CSRF_FIELD: csrf(client)}
    )
    assert answer.status_code == 200
    assert "(publisher: 3)" in answer.text  # entry 101: CAID's 3, mapped onto C
    assert "Severity one" in answer.text
    assert "(publisher: Worst)" in answer.text
    results = LibraryService(LibraryStore(db), tmp_path / "indexes").lookup([md5_of(101), md5_of(103)])
    [first, second] = [LookupOut.of(r).matches[0] for r in results]
    assert (first.category, first.category_label, first.publisher_label) == ("C", "Category C", "3")
    assert (second.category, second.category_label, second.publisher_label) == ("S1", "Severity one", "Worst")
