"""The demo's own folder: made and marked by ``vigilant demo``, never wiped without a word.

A demo run fills its folder (database, reports, logins). A user may then work in it through the web
application (open cases, add notes) and run ``make demo`` again: wiping the folder then would silently lose
that work. So a second run moves the earlier folder aside, next to it, under a name with the time
(``demo-data.previous-20261207-140301``), and says where; ``--discard-previous`` deletes it instead, and
says so. A folder that the demo did not make (no marker, no demo logins) is never touched: the demo refuses
it, so that ``--folder`` pointed at the wrong place costs nothing.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from vigilant.demo.server import stop_server
from vigilant.errors import ConflictError

MARKER = ".vigilant-demo"
# Demos made before the marker existed always wrote their logins' manifest.
_EARLIER_DEMO_FILES = ("demo-logins.json",)


def is_demo_folder(root: Path) -> bool:
    """Whether ``root`` was made by ``vigilant demo`` (now or before the marker existed)."""
    return any((root / name).exists() for name in (MARKER, *_EARLIER_DEMO_FILES))


def prepare_demo_folder(
    root: Path, say: Callable[[str], None], *, discard_previous: bool = False
) -> Path | None:
    """Make ``root`` an empty, marked demo folder; return where an earlier demo's folder was kept, if any.

    Raises :class:`ConflictError` (nothing touched) when ``root`` holds files the demo did not make.
    """
    kept: Path | None = None
    if root.exists():
        if not root.is_dir() or (any(root.iterdir()) and not is_demo_folder(root)):
            raise ConflictError(
                f"{root} is not a folder made by vigilant demo, and it is not empty: nothing was changed",
                hint="give the demo a new or empty folder with --folder",
            )
        if any(root.iterdir()):
            # A server left by an earlier demo holds the database about to be moved or deleted.
            server = stop_server(root)
            if server is not None:
                say(f"Stopped the earlier demo's web application (pid {server.pid}).")
            if discard_previous:
                shutil.rmtree(root)
                say(f"Deleted the earlier demo's folder {root} (--discard-previous).")
            else:
                kept = _keep_aside(root)
                say(
                    f"The earlier demo's folder, and anything done in it, is kept as {kept} "
                    "(delete it when no longer needed, or run the demo with --discard-previous)."
                )
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text(f"made by vigilant demo at {datetime.now(UTC).isoformat()}\n")
    return kept


def _keep_aside(root: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    target = root.with_name(f"{root.name}.previous-{stamp}")
    n = 1
    while target.exists():  # two runs within a second: never overwrite an earlier copy
        n += 1
        target = root.with_name(f"{root.name}.previous-{stamp}-{n}")
    root.rename(target)
    return target
