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
) -> None:
    """Run the web application (API under /api/v1, pages for people)."""
    import uvicorn

    from vigilant.web import create_app

    if host not in ("127.0.0.1", "::1", "localhost"):
        console_err.print(
            f"[yellow]listening on {host}: session cookies need HTTPS, so serve it behind a TLS proxy[/]"
        )
    uvicorn.run(create_app(settings()), host=host, port=port, proxy_headers=False, log_level="info")
