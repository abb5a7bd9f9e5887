"""`vigilant demo` run again never silently wipes the earlier demo's folder, nor a folder it did not make."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from vigilant.cli import run
from vigilant.demo.folder import MARKER, prepare_demo_folder
from vigilant.errors import ConflictError, ExitCode


def _said() -> tuple[list[str], Callable[[str], None]]:
    messages: list[str] = []
    return messages, messages.append


def test_a_new_folder_is_made_and_marked(tmp_path: Path) -> None:
    root = tmp_path / "demo-data"
    messages, say = _said()
    assert prepare_demo_folder(root, say) is None
    assert root.is_dir()
    assert (root / MARKER).is_file()
    assert messages == []


def test_an_empty_existing_folder_is_used(tmp_path: Path) -> None:
    root = tmp_path / "demo-data"
    root.mkdir()
    assert prepare_demo_folder(root, print) is None
    assert (root / MARKER).is_file()


def test_a_second_demo_keeps_the_first_ones_folder_and_says_where(tmp_path: Path) -> None:
    root = tmp_path / "demo-data"
    prepare_demo_folder(root, print)
    (root / "my-notes.txt").write_text("what the user did")
    messages, say = _said()
    kept = prepare_demo_folder(root, say)
    assert kept is not None
    assert kept.parent == tmp_path
    assert kept.name.startswith("demo-data.previous-")
    assert (kept / "my-notes.txt").read_text() == "what the user did"
    assert root.is_dir()
    assert sorted(p.name for p in root.iterdir()) == [MARKER]
    assert any(str(kept) in m for m in messages), messages
    # A third run keeps the second one too, under another name: nothing is ever overwritten.
    (root / "more.txt").write_text("x")
    kept_again = prepare_demo_folder(root, print)
    assert kept_again is not None
    assert kept_again != kept
    assert (kept / "my-notes.txt").exists()
    assert (kept_again / "more.txt").exists()


def test_a_folder_from_a_demo_before_the_marker_counts_as_a_demo_folder(tmp_path: Path) -> None:
    root = tmp_path / "demo-data"
    root.mkdir()
    (root / "demo-logins.json").write_text("[]")
    kept = prepare_demo_folder(root, print)
    assert kept is not None
    assert (kept / "demo-logins.json").exists()


def test_discard_previous_wipes_an_earlier_demo_and_says_so(tmp_path: Path) -> None:
    root = tmp_path / "demo-data"
    prepare_demo_folder(root, print)
    (root / "my-notes.txt").write_text("x")
    messages, say = _said()
    assert prepare_demo_folder(root, say, discard_previous=True) is None
    assert not (root / "my-notes.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["demo-data"]
    assert any("Deleted" in m for m in messages), messages


@pytest.mark.parametrize("discard", [False, True])
def test_a_folder_the_demo_did_not_make_is_refused_and_left_as_it_was(tmp_path: Path, discard: bool) -> None:
    root = tmp_path / "my-case-files"
    root.mkdir()
    (root / "case.txt").write_text("important")
    with pytest.raises(ConflictError, match="not a folder made by vigilant demo"):
        prepare_demo_folder(root, print, discard_previous=discard)
    assert (root / "case.txt").read_text() == "important"
    assert [p.name for p in tmp_path.iterdir()] == ["my-case-files"]


def test_the_cli_refuses_a_foreign_folder_with_the_conflict_exit_code(tmp_path: Path) -> None:
    root = tmp_path / "mine"
    root.mkdir()
    (root / "keep.txt").write_text("x")
    assert run(["demo", "--folder", str(root), "--no-serve"]) == ExitCode.CONFLICT
    assert (root / "keep.txt").exists()
