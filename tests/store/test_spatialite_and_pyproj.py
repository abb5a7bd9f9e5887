"""SpatiaLite and pyproj in one process: each keeps its own PROJ.

pyproj's wheel bundles its own PROJ (with its own SQLite and libcurl). SQLite loads extensions with
RTLD_GLOBAL, so once SpatiaLite has put the system's PROJ into the process's global symbol scope, a pyproj
loaded afterwards binds its calls to the system PROJ's functions over its own library's data: the heap is
corrupted, which glibc reports at exit ("double free or corruption", exit code 134 or 139) — the registry's
proximity code uses pyproj in processes whose store is SpatiaLite. The store loads pyproj first.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
from sqlalchemy import text
from vigilant.store import open_database

db = open_database("sqlite:///" + sys.argv[1])
with db.session() as s:
    a, b = "MakePoint(-79.4, 43.7, 4326)", "MakePoint(-79.41, 43.71, 4326)"
    print(round(s.execute(text(f"SELECT ST_Distance({a}, {b}, 1)")).scalar(), 3))
from pyproj import Geod

print(round(Geod(ellps="WGS84").inv(-79.4, 43.7, -79.41, 43.71)[2], 3))
db.dispose()
"""


def test_a_process_with_spatialite_and_pyproj_exits_cleanly(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "store.db")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    spatialite, pyproj = (float(line) for line in done.stdout.split())
    assert abs(spatialite - pyproj) < 0.01  # both Karney's geodesic on WGS84 (1,388 m)
