"""SpatiaLite in every SQLite connection, and the spatial engines' own tables kept out of schema comparisons.

The embedded store answers proximity questions with SpatiaLite (Debian ``libsqlite3-mod-spatialite``), as
PostgreSQL does with PostGIS: R*Tree spatial indexes and ellipsoidal WGS84 distances in SQL. SQLite loads
it as an extension into each new connection. Python's ``sqlite3`` offers ``enable_load_extension`` only when
the interpreter was built with ``--enable-loadable-sqlite-extensions`` (Debian's is; pyenv's default build is
not); without it the same switch is thrown through SQLite's own C API on the connection's handle, which
CPython 3.11 keeps as the first field after the object header of its ``Connection``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import sqlite3
import sys
from typing import Any

from vigilant.errors import ConfigError

MODULE = os.environ.get("SPATIALITE_LIBRARY_PATH", "mod_spatialite")
INSTALL_HINT = "install SpatiaLite: apt-get install libsqlite3-mod-spatialite"

# Tables the spatial engines create and own (SpatiaLite's metadata, R*Tree index tables named
# idx_<table>_<column> and their shadow tables, PostGIS's spatial_ref_sys): never part of Vigilant's models.
_ENGINE_TABLES = frozenset(
    {
        "data_licenses",
        "elementarygeometries",
        "geometry_columns",
        "geometry_columns_auth",
        "geometry_columns_field_infos",
        "geometry_columns_statistics",
        "geometry_columns_time",
        "knn",
        "knn2",
        "spatial_ref_sys",
        "spatial_ref_sys_aux",
        "spatialindex",
        "spatialite_history",
        "sql_statements_log",
        "views_geometry_columns",
        "views_geometry_columns_auth",
        "views_geometry_columns_field_infos",
        "views_geometry_columns_statistics",
        "virts_geometry_columns",
        "virts_geometry_columns_auth",
        "virts_geometry_columns_field_infos",
        "virts_geometry_columns_statistics",
        "spatial_ref_sys_all",
        "vector_layers",
        "vector_layers_auth",
        "vector_layers_field_infos",
        "vector_layers_statistics",
        "geom_cols_ref_sys",
    }
)


def is_engine_table(name: str | None) -> bool:
    """A table that SpatiaLite or PostGIS made for itself (metadata, spatial index), not one of ours."""
    if name is None:
        return False
    lowered = name.lower()
    return lowered in _ENGINE_TABLES or (lowered.startswith("idx_") and "_geom" in lowered)


def include_object(_obj: Any, name: str | None, obj_type: str, _reflected: bool, _compare_to: Any) -> bool:
    """Alembic's filter: compare and autogenerate Vigilant's tables only, not the spatial engines' own, nor
    the spatial indexes (``idx_<table>_geom``: an R*Tree on SQLite, GiST on PostgreSQL), which the migration
    makes per engine and tests/registry/test_places_engine.py checks."""
    return not (obj_type in ("table", "index") and is_engine_table(name))


@functools.cache
def _sqlite_library() -> ctypes.CDLL:
    # The library the sqlite3 module is linked against is already in the process: this finds the same one.
    path = ctypes.util.find_library("sqlite3") or "libsqlite3.so.0"
    library = ctypes.CDLL(path)
    library.sqlite3_enable_load_extension.argtypes = [ctypes.c_void_p, ctypes.c_int]
    library.sqlite3_enable_load_extension.restype = ctypes.c_int
    return library


def _allow_extensions(connection: sqlite3.Connection, allow: bool) -> None:
    if hasattr(connection, "enable_load_extension"):
        connection.enable_load_extension(allow)
        return
    if sys.implementation.name != "cpython" or sys.version_info[:2] != (3, 11):
        raise ConfigError(
            "this Python's sqlite3 cannot load SpatiaLite",
            hint="use a Python built with --enable-loadable-sqlite-extensions (Debian's python3.11 is)",
        )
    handle = ctypes.c_void_p.from_address(id(connection) + object.__basicsize__).value
    if not handle or _sqlite_library().sqlite3_enable_load_extension(handle, int(allow)) != 0:
        raise ConfigError("could not enable SQLite extension loading on this connection", hint=INSTALL_HINT)


@functools.cache
def _pyproj_first() -> None:
    """Load pyproj before the first SpatiaLite.

    pyproj's wheel bundles its own PROJ (with its own SQLite and libcurl). SQLite loads an extension with
    RTLD_GLOBAL, so once SpatiaLite has put the system's PROJ into the process's global symbol scope, a pyproj
    loaded afterwards binds its calls to the system PROJ's functions over its own library's data, and the heap
    is corrupted (glibc aborts at exit). Loaded first, each keeps its own PROJ
    (tests/store/test_spatialite_and_pyproj.py). The registry's proximity code uses pyproj beside SpatiaLite.
    """
    import pyproj  # noqa: F401, PLC0415


def load_spatialite(dbapi_connection: Any, _record: Any = None) -> None:
    """Load SpatiaLite into a new SQLite connection (an engine ``connect`` listener); the permission to load
    extensions is switched off again at once, so SQL can never load one of its own choosing."""
    _pyproj_first()
    connection: sqlite3.Connection = getattr(dbapi_connection, "driver_connection", dbapi_connection)
    _allow_extensions(connection, True)
    try:
        connection.execute("SELECT load_extension(?)", (MODULE,))
    except sqlite3.OperationalError as exc:
        raise ConfigError(f"SpatiaLite ({MODULE}) could not be loaded: {exc}", hint=INSTALL_HINT) from exc
    finally:
        _allow_extensions(connection, False)
