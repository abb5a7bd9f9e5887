"""Run Vigilant's benchmarks and print one table per benchmark, with the facts of the machine.

``make bench`` runs ``.venv/bin/python bench/run.py``: every module of :data:`BENCHMARKS`, full scale.
``--quick`` runs them small (a smoke run); ``--only NAME`` runs one (repeatable); ``--json PATH`` also
writes the rows and the machine facts to a file.

The contract for a benchmark module (a file ``bench/NAME.py`` named in :data:`BENCHMARKS`):

* it exposes ``run(scale: str) -> list[dict[str, object]]``, where ``scale`` is ``"quick"`` (a smoke run:
  a few seconds to ~30 s) or ``"full"`` (the figures to report: a few minutes at most);
* it times Vigilant and at least one peer tool side by side, in the same run, on the same data, made in
  a temporary folder (never in the repository);
* it returns one row per (subject, data, metric), a plain dict with these keys:

  ============  ====================================================================================
  benchmark     what is measured, e.g. ``"exact look-up"``                                  (required)
  subject       ``"vigilant"`` or the peer's name, e.g. ``"sqlite3 (indexed BLOB)"``         (required)
  metric        e.g. ``"look-ups/s"``, ``"build time"``, ``"size / raw digest bytes"``      (required)
  value         a number, or None when the row only carries a note                          (required)
  unit          e.g. ``"/s"``, ``"s"``, ``"MB"``, ``"x"``                                    (required)
  data          the data set and its size, e.g. ``"MD5 10^7"``                              (optional)
  target        on Vigilant's rows: the design target, e.g. ``">= 1,000,000 /s"``          (optional)
  met           on Vigilant's rows: whether ``value`` meets ``target`` (bool)               (optional)
  ratio         on a peer's row: how many times better Vigilant did than this peer on the same metric
                and data (> 1: Vigilant better; for a lower-is-better metric, peer / Vigilant)  (optional)
  note          anything a reader needs: a skipped size, a peer measured at a smaller scale  (optional)
  ============  ====================================================================================

  A module may add keys of its own; the table shows every key present in its rows, the keys above
  first. A module that returns other keys still prints: its columns are simply shown as they are.

A module that is not there yet, or whose dependencies are missing, is skipped with a note; one that
fails is reported with its traceback, and the others still run (the exit status is then 1).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

BENCH_DIR = Path(__file__).resolve().parent
# Run as a script (``python bench/run.py``), so the sibling benchmark modules import by their names.
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

# The benchmarks, in the order they run. One explicit list: a module is added here, nowhere else.
BENCHMARKS: tuple[str, ...] = (
    "exact_bench",
    "pdq_bench",
    "triage_bench",
    "leads_bench",
    "links_bench",
    "registry_bench",
    "review_bench",
    "web_bench",
    "xref_bench",
    "scale_bench",  # triage and lead aggregation on Dask beside the local paths (issue 16)
    "luks_bench",  # reading an unlocked LUKS1 volume beside libluksde by path (issue 17)
)
SCALES = ("quick", "full")

Row = dict[str, object]
RunFunction = Callable[[str], list[Row]]

STANDARD_COLUMNS = (
    "benchmark",
    "data",
    "subject",
    "metric",
    "value",
    "unit",
    "target",
    "met",
    "ratio",
    "note",
)
NUMERIC_COLUMNS = {"value", "ratio"}
TRAILING = ("ratio", "note")  # after a module's own columns: the verdict and the remarks close a row


def machine_facts() -> dict[str, str]:
    """What a reader needs to judge the figures: cores, memory, versions, load, date, code revision."""
    facts = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "cpu": _cpu_model(),
        "cores": f"{os.cpu_count()} ({len(os.sched_getaffinity(0))} usable)",
        "memory": _meminfo_line(),
        "load average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
    }
    revision = _git_revision()
    if revision:
        facts["revision"] = revision
    return facts


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _meminfo_line() -> str:
    try:
        fields = dict(
            line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line
        )
        total = int(fields["MemTotal"].split()[0]) / 2**20
        available = int(fields["MemAvailable"].split()[0]) / 2**20
    except (OSError, KeyError, ValueError):
        return "unknown"
    return f"{total:.1f} GiB ({available:.1f} GiB available)"


def _git_revision() -> str | None:
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=BENCH_DIR,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def load(name: str) -> RunFunction | str:
    """The module's ``run``, or a note saying why it cannot run."""
    if importlib.util.find_spec(name) is None:
        return f"skipped: bench/{name}.py is not there yet"
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        return f"skipped: {name} cannot import {exc.name or exc} ({exc})"
    function = getattr(module, "run", None)
    if not callable(function):
        return f"skipped: {name} has no run(scale) function"
    run: RunFunction = function
    return run


def format_cell(column: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, float | int | np.integer | np.floating):
        number = float(value)
        if column == "ratio":
            return f"{number:,.2f}x"
        if number != 0 and abs(number) < 10:
            return f"{number:,.3g}"
        return f"{number:,.0f}"
    return str(value)


def columns_of(rows: Sequence[Row]) -> list[str]:
    """Every key present: in the standard order when the rows follow it, else as the module wrote them."""
    present: dict[str, None] = {}
    for row in rows:
        present.update(dict.fromkeys(row))
    if not {"subject", "metric", "value"} <= present.keys():
        return list(present)
    head = [column for column in STANDARD_COLUMNS if column in present and column not in TRAILING]
    extra = [column for column in present if column not in STANDARD_COLUMNS]
    return head + extra + [column for column in TRAILING if column in present]


def print_rows(console: Console, title: str, rows: Sequence[Row]) -> None:
    table = Table(title=title, title_justify="left")
    columns = columns_of(rows)
    for column in columns:
        numeric = column in NUMERIC_COLUMNS or all(
            isinstance(row.get(column), int | float) or row.get(column) is None for row in rows
        )
        table.add_column(column, justify="right" if numeric else "left", overflow="fold")
    for row in rows:
        table.add_row(*(format_cell(column, row.get(column)) for column in columns))
    console.print(table)


def print_facts(console: Console, facts: dict[str, str]) -> None:
    table = Table(title="Machine", title_justify="left", show_header=False)
    table.add_column("fact")
    table.add_column("value")
    for key, value in facts.items():
        table.add_row(key, value)
    console.print(table)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run Vigilant's benchmarks side by side with their peers.",
        epilog=f"benchmarks: {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--quick", action="store_true", help="small scale: a smoke run, not figures")
    parser.add_argument("--only", action="append", metavar="NAME", choices=BENCHMARKS, help="run only NAME")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write rows and machine facts here")
    arguments = parser.parse_args(argv)
    scale = "quick" if arguments.quick else "full"
    names = [name for name in BENCHMARKS if not arguments.only or name in arguments.only]

    # Wide enough for every column when the output goes to a file or a pipe (make bench | tee).
    console = Console(width=None if sys.stdout.isatty() else 200)
    facts = machine_facts()
    print_facts(console, facts)
    results: dict[str, Any] = {"scale": scale, "machine": facts, "benchmarks": {}}
    failed = False
    for name in names:
        loaded = load(name)
        if isinstance(loaded, str):
            console.print(f"[yellow]{name}: {loaded}[/yellow]")
            results["benchmarks"][name] = {"note": loaded}
            continue
        console.print(f"[bold]{name}[/bold] ({scale}) …")
        started = time.perf_counter()
        try:
            rows = loaded(scale)
        except Exception:  # one broken benchmark must not hide the others' figures
            failed = True
            console.print(f"[red]{name} failed:[/red]\n{traceback.format_exc()}")
            results["benchmarks"][name] = {"error": traceback.format_exc()}
            continue
        elapsed = time.perf_counter() - started
        print_rows(console, f"{name} — {scale} scale, {elapsed:.0f} s", rows)
        results["benchmarks"][name] = {"seconds": elapsed, "rows": rows}
    if arguments.json:
        arguments.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
