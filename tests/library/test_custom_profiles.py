"""Publishers' category labels kept beside the profile's code, and custom profiles from a small file
(issue 11 A5) — on SQLite and PostgreSQL, through the importer, the service, exports and the CLI."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from tests.library.helpers import entry, md5_of
from vigilant.cli import run
from vigilant.errors import BadInputError, ExitCode
from vigilant.leads.known import severity_of
from vigilant.library.categories import (
    CategoryClass,
    ProfileFileError,
    load_profile_file,
    profile_from_definition,
)
from vigilant.library.exporters.vpdq import vpdq_line
from vigilant.library.importer import ImportRequest, import_hash_set
from vigilant.library.records import SetKind
from vigilant.library.samples import read_source, sample_set, stored_entries, write_vics
from vigilant.library.service import LibraryService
from vigilant.library.store import LibraryStore
from vigilant.perceptual.vpdq import FrameHash
from vigilant.security.rights import Actor
from vigilant.store import Database

PROFILE_TOML = """\
name = "unit-x"
title = "Unit X grades"

[[categories]]
code = "S1"
label = "Severity one"
class = "abuse"

[[categories]]
code = "S2"
label = "Severity two"
class = "exploitive"

[[categories]]
code = 9
label = "Not relevant"
class = "non_pertinent"
"""


def _profile_file(folder: Path, text: str = PROFILE_TOML, suffix: str = ".toml") -> Path:
    path = folder / f"profile{suffix}"
    path.write_text(text)
    return path


def _list_with_labels(path: Path) -> Path:
    """A list of its own: codes S1/S2/9 and a column naming each category in the publisher's words."""
    rows = ["md5,category,category name,file_name"]
    codes = ["S1", "S2", "9", "s1"]
    names = ["Worst", "Bad", "Other", "Worst"]
    rows += [f"{md5_of(i)},{codes[i]},{names[i]},f{i}.jpg" for i in range(4)]
    rows.append(f"{md5_of(4)},S7,Unknown,f4.jpg")  # not in the profile: refused
    path.write_text("\n".join(rows) + "\n")
    return path


def test_profile_file_in_toml_and_json_reads_the_same(tmp_path: Path) -> None:
    from_toml = load_profile_file(_profile_file(tmp_path))
    as_json = json.dumps(from_toml.definition())
    from_json = load_profile_file(_profile_file(tmp_path, as_json, ".json"))
    assert from_json == from_toml
    assert [(c.code, c.label, c.cls) for c in from_toml.categories] == [
        ("S1", "Severity one", CategoryClass.ABUSE),
        ("S2", "Severity two", CategoryClass.EXPLOITIVE),
        ("9", "Not relevant", CategoryClass.NON_PERTINENT),
    ]
    assert from_toml.get("s2") is not None  # codes compare as the built-in ones do, whatever their case
    assert profile_from_definition(from_toml.definition(), where="x") == from_toml


BAD_PROFILES = [
    ('name = "unit-x"\ntitle = \n', ".toml", "not valid TOML"),
    ('{"name": "unit-x",', ".json", "not valid JSON"),
    ("name: unit-x", ".yaml", "name it .toml or .json"),
    ('name = "Unit X"\n[[categories]]\ncode="1"\nlabel="a"\nclass="abuse"\n', ".toml", "name 'Unit X'"),
    ('name = "caid-uk"\n[[categories]]\ncode="1"\nlabel="a"\nclass="abuse"\n', ".toml", "built-in"),
    ('name = "u"\ncategories = []\n', ".toml", "non-empty list"),
    ('name = "u"\ncolour = "red"\n[[categories]]\ncode="1"\nlabel="a"\nclass="abuse"\n', ".toml", "'colour'"),
    (
        'name = "u"\n[[categories]]\ncode="1"\nlabel="a"\nclass="abuse"\n'
        '[[categories]]\ncode="A"\nlabel="b"\nclass="worst"\n',
        ".toml",
        "categories[1] (code 'A'): class 'worst' is not one of uncategorized, non_pertinent",
    ),
    (
        'name = "u"\n[[categories]]\ncode="a"\nlabel="x"\nclass="abuse"\n'
        '[[categories]]\ncode="A"\nlabel="y"\nclass="cgi"\n',
        ".toml",
        "categories[1]: code 'A' is already defined by categories[0]",
    ),
    ('name = "u"\n[[categories]]\ncode="1"\nclass="abuse"\n', ".toml", "categories[0] (code '1'): label"),
    ('name = "u"\n[[categories]]\ncode="12345678901234567"\nlabel="x"\nclass="abuse"\n', ".toml", "1-16"),
    ('name = "u"\n[[categories]]\ncode=true\nlabel="x"\nclass="abuse"\n', ".toml", "code must be"),
    ("[1, 2]", ".json", "expected a table"),
    ("\xff\xfe", ".toml", "not UTF-8"),
]


@pytest.mark.parametrize(("text", "suffix", "message"), BAD_PROFILES)
def test_a_bad_profile_file_says_where_and_what(tmp_path: Path, text: str, suffix: str, message: str) -> None:
    path = tmp_path / f"profile{suffix}"
    if text == "\xff\xfe":
        path.write_bytes(b"\xff\xfe\x00 bad")
    else:
        path.write_text(text)
    with pytest.raises(ProfileFileError) as caught:
        load_profile_file(path)
    assert str(path) in caught.value.message
    assert message in caught.value.message
    assert caught.value.hint


def test_import_with_a_custom_profile_stores_it_and_reads_codes_through_it(
    db: Database, tmp_path: Path
) -> None:
    profile = load_profile_file(_profile_file(tmp_path))
    path = _list_with_labels(tmp_path / "unit-x.csv")
    report = import_hash_set(
        LibraryStore(db),
        ImportRequest(path, actor=Actor.cli("ann"), kind=SetKind.KNOWN_BAD, custom_profile=profile),
    )
    assert (report.rows_taken, report.refused) == (4, {"bad-category": 1})
    assert "S7" in report.problems[0].detail
    # A new store and service: nothing cached from the import; the codes are read through the stored profile.
    service = LibraryService(LibraryStore(db), tmp_path / "indexes")
    [info] = service.store.list_sets()
    assert (info.profile, info.profile_definition) == ("unit-x", profile.definition())
    assert info.category_profile == profile
    found = {r.query: r.matches for r in service.lookup([md5_of(i) for i in range(4)])}
    got = [(m[0].category, m[0].entry.category, m[0].entry.category_label) for m in found.values()]
    assert [(c.code, c.label, c.cls.slug) if c else None for c, _, _ in got] == [
        ("S1", "Severity one", "abuse"),
        ("S2", "Severity two", "exploitive"),
        ("9", "Not relevant", "non_pertinent"),
        ("S1", "Severity one", "abuse"),
    ]
    assert [label for _, _, label in got] == ["Worst", "Bad", "Other", "Worst"]
    assert [code for _, code, _ in got] == ["S1", "S2", "9", "S1"]
    assert severity_of(info.profile, "S2", info.profile_definition)[0] == CategoryClass.EXPLOITIVE.severity


def test_a_custom_profile_and_another_profile_name_are_refused(db: Database, tmp_path: Path) -> None:
    profile = load_profile_file(_profile_file(tmp_path))
    path = _list_with_labels(tmp_path / "unit-x.csv")
    with pytest.raises(BadInputError, match="both given"):
        import_hash_set(
            LibraryStore(db),
            ImportRequest(
                path, actor=Actor.cli("ann"), kind=SetKind.KNOWN_BAD, profile="vic-us", custom_profile=profile
            ),
        )


def _caid(path: Path) -> Path:
    return write_vics(
        path, [entry(i, category=str(1 + i % 3)) for i in range(6)], version="2.0", form="media"
    )


CAID_MAP = {"1": "A", "2": "B", "3": "C"}


def test_a_mapped_code_keeps_the_publishers_code_as_its_label(db: Database, tmp_path: Path) -> None:
    store = LibraryStore(db)
    import_hash_set(
        store,
        ImportRequest(
            _caid(tmp_path / "caid.json"), actor=Actor.cli("ann"), profile="caid-uk", category_map=CAID_MAP
        ),
    )
    [hit] = store.entries_by_digest("md5", [bytes.fromhex(md5_of(1))])
    assert (hit.hash_set.profile, hit.category, hit.category_label) == ("caid-uk", "B", "2")
    [info] = store.list_sets()
    assert store.category_label_counts(info.id) == [("A", "1", 2), ("B", "2", 2), ("C", "3", 2)]


def test_an_unmapped_code_has_no_separate_label(db: Database, tmp_path: Path) -> None:
    store = LibraryStore(db)
    path = write_vics(
        tmp_path / "us.json", [entry(i, category="1") for i in range(2)], version="2.0", form="media"
    )
    import_hash_set(store, ImportRequest(path, actor=Actor.cli("ann")))
    [hit] = store.entries_by_digest("md5", [bytes.fromhex(md5_of(1))])
    assert (hit.category, hit.category_label) == ("1", None)


def test_csv_export_carries_the_publishers_label_and_reads_it_back(db: Database, tmp_path: Path) -> None:
    store = LibraryStore(db)
    import_hash_set(
        store,
        ImportRequest(
            _caid(tmp_path / "caid.json"), actor=Actor.cli("ann"), profile="caid-uk", category_map=CAID_MAP
        ),
    )
    service = LibraryService(store, tmp_path / "indexes")
    out = io.BytesIO()
    service.export([], "csv", out)
    exported = tmp_path / "export.csv"
    exported.write_bytes(out.getvalue())
    header = out.getvalue().decode("utf-8-sig").splitlines()[0].split(",")
    assert header[4:7] == ["category code", "category label", "publisher category"]
    entries, problems = read_source(exported, "csv")
    assert problems == []
    assert [(e.category, e.category_label) for e in entries] == [
        (c, str(1 + i % 3)) for i, c in enumerate(["A", "B", "C"] * 2)
    ]


def test_cli_profile_file_import_show_lookup_and_stats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = _profile_file(tmp_path)
    path = _list_with_labels(tmp_path / "unit-x.csv")
    args = ["library", "import", str(path), "--kind", "known-bad", "--profile-file", str(profile)]
    assert run(args) == ExitCode.PARTIAL  # S7 is refused
    assert "profile unit-x" in capsys.readouterr().out
    assert run(["library", "lookup", md5_of(1), "--json"]) == ExitCode.OK
    [result] = json.loads(capsys.readouterr().out)
    assert result["matches"][0]["category"] == {
        "profile": "unit-x",
        "code": "S2",
        "label": "Severity two",
        "class": "exploitive",
        "publisher_label": "Bad",
    }
    assert run(["library", "lookup", md5_of(1)]) == ExitCode.OK
    assert "(publisher: Bad)" in capsys.readouterr().out
    assert run(["library", "show", "unit-x"]) == ExitCode.OK
    shown = capsys.readouterr().out
    for text in ("Unit X grades", "custom profile", "Severity two", "Worst (2)", "non_pertinent"):
        assert text in shown, text
    assert run(["library", "list", "--json"]) == ExitCode.OK
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["custom_profile"]["name"] == "unit-x"
    assert run(["library", "stats", "--json"]) == ExitCode.OK
    by_class = json.loads(capsys.readouterr().out)["entries_by_category_class"]
    assert by_class == {"abuse": 2, "exploitive": 1, "non_pertinent": 1}


def test_cli_mapped_import_shows_the_publishers_label(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _caid(tmp_path / "caid.json")
    maps = [arg for source, code in CAID_MAP.items() for arg in ("--map-category", f"{source}={code}")]
    assert run(["library", "import", str(path), "--profile", "caid-uk", *maps]) == ExitCode.OK
    capsys.readouterr()
    assert run(["library", "lookup", md5_of(1), "--json"]) == ExitCode.OK
    [result] = json.loads(capsys.readouterr().out)
    assert (
        result["matches"][0]["category"]["code"],
        result["matches"][0]["category"]["publisher_label"],
    ) == (
        "B",
        "2",
    )


def test_cli_bad_profile_file_is_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = _profile_file(tmp_path, 'name = "u"\n[[categories]]\ncode="1"\nlabel="a"\nclass="worst"\n')
    path = _list_with_labels(tmp_path / "unit-x.csv")
    args = ["library", "import", str(path), "--kind", "known-bad", "--profile-file", str(profile)]
    assert run(args) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert "class 'worst' is not one of" in err
    assert run(["library", "list", "--json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out) == []


def test_vpdq_lines_carry_the_publishers_label_and_read_it_back(tmp_path: Path) -> None:
    frames = (FrameHash(0, 0.0, bytes(range(32)), 90), FrameHash(1, 1.0, bytes(range(1, 33)), 90))
    video = replace(entry(7, category="B"), category_label="2", video_frames=frames)
    info = sample_set(profile="caid-uk")
    [stored] = stored_entries([video], info)
    line = vpdq_line(stored, frames)
    assert (line["category"], line["publisher_category"]) == ("B", "2")
    path = tmp_path / "videos.jsonl"
    path.write_text(json.dumps(line) + "\n")
    [read], problems = read_source(path, "vpdq")
    assert problems == []
    assert (read.category, read.category_label, dict(read.extra)) == ("B", "2", {})
