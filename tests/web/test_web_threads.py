"""Each server process runs its database-reading handlers on a few threads (VIGILANT_WEB_THREADS, default 4),
not AnyIO's default 40: one Python process runs on one core at a time, and 40 threads contending for it made
the slowest answers several times slower (web_bench: dashboard p99 670-926 ms with 40, 244-268 ms with 4)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient

from vigilant.config import Settings
from vigilant.errors import ConfigError
from vigilant.store import Database
from vigilant.web import WebOptions, create_app


def _tokens_seen_by_a_request(db: Database, tmp_path: Path, threads: int | None) -> float:
    base = Settings.from_env()
    settings = Settings(
        data_dir=tmp_path / "web-data",
        database_url=db.url,
        user="test",
        secret_key_path=base.secret_key_file,
    )
    if threads is not None:
        settings = dataclasses.replace(settings, web_threads=threads)
    app = create_app(settings, WebOptions(cookie_secure=False))

    @app.get("/test-only/threads")
    async def threads_now() -> dict[str, float]:
        return {"tokens": anyio.to_thread.current_default_thread_limiter().total_tokens}

    with TestClient(app) as client:
        return float(client.get("/test-only/threads").json()["tokens"])


def test_the_server_runs_handlers_on_the_threads_the_setting_gives(db: Database, tmp_path: Path) -> None:
    assert _tokens_seen_by_a_request(db, tmp_path, None) == 4
    assert _tokens_seen_by_a_request(db, tmp_path, 7) == 7


@pytest.mark.parametrize("value", ["0", "-2", "many", "4.5"])
def test_a_bad_thread_count_is_refused_naming_the_setting(value: str) -> None:
    with pytest.raises(ConfigError, match="VIGILANT_WEB_THREADS"):
        Settings.from_env({"VIGILANT_DATA_DIR": "/tmp/x", "VIGILANT_WEB_THREADS": value})


def test_the_setting_is_read_from_the_environment() -> None:
    assert Settings.from_env({"VIGILANT_DATA_DIR": "/tmp/x", "VIGILANT_WEB_THREADS": "12"}).web_threads == 12
