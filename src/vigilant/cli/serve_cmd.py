"""``vigilant serve``: the web application on loopback by default."""

from __future__ import annotations

from typing import Annotated

import typer

from vigilant.cli.common import console_err, settings


def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on; loopback by default: put a TLS proxy in front.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes sharing the port (one Python process uses one core at a time: about one "
            "per core). Each opens its own database connections; the audit chain stays one chain.",
        ),
    ] = 1,
    log_level: Annotated[
        str, typer.Option(help="uvicorn's log level: critical, error, warning, info, debug.")
    ] = "info",
) -> None:
    """Run the web application (API under /api/v1, pages for people)."""
    import uvicorn

    from vigilant.web import create_app

    if host not in ("127.0.0.1", "::1", "localhost"):
        console_err.print(
            f"[yellow]listening on {host}: session cookies need HTTPS, so serve it behind a TLS proxy[/]"
        )
    if workers == 1:
        uvicorn.run(create_app(settings()), host=host, port=port, proxy_headers=False, log_level=log_level)
        return
    settings()  # a bad setting is reported here, once, rather than by each worker
    # Several processes: uvicorn imports the application in each, from the same environment's settings.
    uvicorn.run(
        "vigilant.web:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        log_level=log_level,
    )
