"""Settings, read from the environment once and passed down explicitly.

``VIGILANT_DATA_DIR``      where the embedded database, indexes and caches live
                           (default: ``$XDG_DATA_HOME/vigilant`` or ``~/.local/share/vigilant``).
``VIGILANT_DATABASE_URL``  an SQLAlchemy URL; default: SQLite ``vigilant.db`` in the data dir.
                           ``postgresql://…`` URLs use psycopg 3.
``VIGILANT_USER``          who is recorded as doing imports from the CLI (default: the login name).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from vigilant.errors import ConfigError

SETTINGS_DOC: dict[str, str] = {
    "VIGILANT_DATA_DIR": "folder for the embedded database, indexes and caches",
    "VIGILANT_DATABASE_URL": "SQLAlchemy URL: SQLite file in the data dir by default, or PostgreSQL",
    "VIGILANT_USER": "name recorded as the actor of CLI actions (default: the login name)",
    "VIGILANT_SECRET_KEY_FILE": (
        "key file sealing TOTP seeds in the database (default: secret.key in the data dir)"
    ),
    "VIGILANT_TRIAGE_WORKERS": (
        "triage runs the app servers work on themselves at once (default 1: a run uses two cores already); "
        "a run sent to the Dask cluster takes no slot, a run with keys of encrypted volumes stays here"
    ),
    "VIGILANT_REGISTRY_RULES": (
        "the offender registry's rule set for every registrant: federal (default) or ontario"
    ),
    "VIGILANT_MAP_TILES": (
        "tile server URL template for the registry map, e.g. https://tiles.unit.example/{z}/{x}/{y}.png "
        "(default: none; the map draws its points over a plain background and reaches no outside server)"
    ),
    "VIGILANT_WEB_THREADS": (
        "threads per web server process for the handlers that read the database (default 4: one process "
        "runs Python on one core, and more threads only wait for it, making the slowest answers slower)"
    ),
    "VIGILANT_DASK_SCHEDULER": (
        "Dask scheduler (tcp://HOST:8786) whose workers run triage batches, lead building and link "
        "building (default: none, everything runs on this machine)"
    ),
    "VIGILANT_PATH_MAP": (
        "on a Dask worker: where it mounts the shared storage of the evidence and of the triage results "
        "and observations it reads (triage, leads, links), SERVER_PATH=WORKER_PATH[;…] "
        "(default: the server's paths)"
    ),
    "VIGILANT_SHADOW_COPIES": (
        "walk each NTFS volume's shadow copies (snapshots) as volumes of their own: on (default) or off"
    ),
    "VIGILANT_DB_POOL_SIZE": "PostgreSQL connections each process keeps open (default 5)",
    "VIGILANT_DB_POOL_OVERFLOW": "PostgreSQL connections a process may open beyond the pool (default 5)",
    "VIGILANT_DB_POOL_TIMEOUT": "seconds a request waits for a free connection before failing (default 30)",
    "VIGILANT_DB_POOL_RECYCLE": "seconds after which a connection is closed and opened anew (default 1800)",
}


@dataclass(frozen=True)
class PoolSettings:
    """How many PostgreSQL connections one process holds (SQLAlchemy's queue pool); SQLite ignores them.

    The defaults fit one web process: its 4 handler threads (``VIGILANT_WEB_THREADS``) and the login and
    session checks beside them each hold one connection at a time, so 5 kept plus 5 for bursts never queue.
    An installation opens at most processes x (size + overflow): PostgreSQL's max_connections (100 by
    default) must cover every app server's ``--workers``, the CLI and the triage workers (docs/deployment.md).
    """

    size: int = 5
    max_overflow: int = 5
    timeout: int = 30  # seconds: a request fails with a clear error rather than hanging on a full pool
    recycle: int = 1800  # seconds: firewalls and proxies silently drop connections idle for long

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> PoolSettings:
        env = os.environ if env is None else env
        hint = "see docs/deployment.md, 'Connection pools'"
        return cls(
            size=_at_least(env, "VIGILANT_DB_POOL_SIZE", cls.size, 1, hint=hint),
            max_overflow=_at_least(env, "VIGILANT_DB_POOL_OVERFLOW", cls.max_overflow, 0, hint=hint),
            timeout=_at_least(env, "VIGILANT_DB_POOL_TIMEOUT", cls.timeout, 1, hint=hint),
            recycle=_at_least(env, "VIGILANT_DB_POOL_RECYCLE", cls.recycle, 1, hint=hint),
        )


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    user: str
    secret_key_path: Path | None = None  # None: secret.key in the data dir
    triage_workers: int = 1  # runs started from the web working at once, server-wide
    web_threads: int = 4  # threads per server process for handlers (AnyIO's default is 40)
    registry_rules: str = "federal"  # the regime whose rule versions set every registrant's deadlines
    dask_scheduler: str = ""  # tcp://HOST:8786 of a Dask scheduler; empty: work runs on this machine
    db_pool: PoolSettings = PoolSettings()  # PostgreSQL connections per process
    map_tiles: str = ""  # the registry map's tile URL template; empty: no tiles (nothing leaves the host)

    @property
    def secret_key_file(self) -> Path:
        return self.secret_key_path or self.data_dir / "secret.key"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "indexes"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("VIGILANT_DATA_DIR") or _default_data_dir(env)).expanduser()
        url = env.get("VIGILANT_DATABASE_URL") or f"sqlite:///{data_dir / 'vigilant.db'}"
        url = normalise_database_url(url)
        user = env.get("VIGILANT_USER") or _login_name()
        key_file = env.get("VIGILANT_SECRET_KEY_FILE")
        key_path = Path(key_file).expanduser() if key_file else None
        workers = _at_least_one(
            env,
            "VIGILANT_TRIAGE_WORKERS",
            1,
            hint="1 suits a two-core machine: a triage run keeps two cores busy",
        )
        threads = _at_least_one(
            env,
            "VIGILANT_WEB_THREADS",
            4,
            hint="4 suits most servers: run more processes (serve --workers) instead",
        )
        return cls(
            data_dir=data_dir,
            database_url=url,
            user=user,
            secret_key_path=key_path,
            triage_workers=workers,
            web_threads=threads,
            registry_rules=_registry_rules(env),
            dask_scheduler=_dask_scheduler(env),
            map_tiles=_map_tiles(env),
            db_pool=PoolSettings.from_env(env),
        )


def _registry_rules(env: Mapping[str, str]) -> str:
    value = (env.get("VIGILANT_REGISTRY_RULES") or "federal").strip().lower()
    if value not in ("federal", "ontario"):
        raise ConfigError(
            f"VIGILANT_REGISTRY_RULES={value!r} names no rule set",
            hint="federal (changes of residence in 7 days) or ontario (in 15 days)",
        )
    return value


def _map_tiles(env: Mapping[str, str]) -> str:
    value = (env.get("VIGILANT_MAP_TILES") or "").strip()
    if value and not (value.startswith(("http://", "https://")) and all(f"{{{k}}}" in value for k in "zxy")):
        raise ConfigError(
            f"VIGILANT_MAP_TILES={value!r} is not a tile URL template",
            hint="an http(s) URL holding {z}, {x} and {y}, e.g. https://tiles.unit.example/{z}/{x}/{y}.png",
        )
    return value


def _dask_scheduler(env: Mapping[str, str]) -> str:
    value = (env.get("VIGILANT_DASK_SCHEDULER") or "").strip()
    if value and not value.startswith(("tcp://", "tls://")):
        raise ConfigError(
            f"VIGILANT_DASK_SCHEDULER={value!r} is not a Dask scheduler address",
            hint="tcp://HOST:8786 (or tls://… for a scheduler with TLS), as `dask scheduler` prints it",
        )
    return value


def _at_least_one(env: Mapping[str, str], name: str, default: int, *, hint: str) -> int:
    return _at_least(env, name, default, 1, hint=hint)


def _at_least(env: Mapping[str, str], name: str, default: int, minimum: int, *, hint: str) -> int:
    value = env.get(name) or str(default)
    if not value.isascii() or not value.isdigit() or int(value) < minimum:
        raise ConfigError(f"{name}={value!r} is not a whole number of at least {minimum}", hint=hint)
    return int(value)


def normalise_database_url(url: str) -> str:
    """Accept the URL forms people paste (``postgres://``, ``postgresql://``) and pick psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if not (url.startswith("sqlite") or url.startswith("postgresql+psycopg://")):
        raise ConfigError(
            f"unsupported database URL {url.split(':', 1)[0]!r}",
            hint="use sqlite:///path/to/file.db or postgresql://user@host/dbname",
        )
    return url


def _default_data_dir(env: Mapping[str, str]) -> Path:
    xdg = env.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "vigilant"


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "unknown"
