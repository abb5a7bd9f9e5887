"""``vigilant p2p``: observe BitTorrent peers (loopback unless --allow-remote) and verify session logs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from vigilant.cli.common import console, settings
from vigilant.errors import ConfigError, ExitCode

app = typer.Typer(
    help="P2P observation: confirm peers of known torrents, verify session logs.", no_args_is_help=True
)


def _peer(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"bad --peer {text!r}", hint="give it as IP:PORT, e.g. 127.0.0.1:6881")
    return host.strip("[]"), int(port)


@app.command("observe")
def observe(
    targets: Annotated[list[str], typer.Argument(help="torrent files or magnet links")],
    peer: Annotated[
        list[str] | None, typer.Option("--peer", help="a peer to confirm, IP:PORT (repeatable)")
    ] = None,
    download: Annotated[bool, typer.Option(help="fetch and verify one advertised piece per peer")] = True,
    timeout: Annotated[float, typer.Option(help="seconds allowed per peer and swarm")] = 30.0,
    allow_remote: Annotated[bool, typer.Option(help="allow peers outside loopback")] = False,
    case_id: Annotated[str | None, typer.Option("--case", help="case the session belongs to")] = None,
) -> None:
    """Confirm the given peers for each torrent; writes a session log and a Parquet file of observations."""
    from vigilant.p2p.confirm import ConfirmSettings
    from vigilant.p2p.observer import Observer, ObserverSettings, StaticPeers
    from vigilant.p2p.targets import TargetSpec

    if not peer:
        raise ConfigError("no peers to observe", hint="add --peer IP:PORT")
    specs = [TargetSpec.load(t) for t in targets]
    config = settings()
    obs_settings = ObserverSettings(
        confirm=ConfirmSettings(download=download, timeout=timeout),
        allow_remote=allow_remote,
        operator=config.user,
        case_id=case_id,
    )
    observer = Observer(obs_settings, config.data_dir, [StaticPeers(tuple(_peer(p) for p in peer))])
    result = asyncio.run(observer.run(specs))
    for obs in result.observations:
        console.print(f"{obs.tier:<10} {obs.method:<9} {obs.ip}:{obs.port} {obs.client or '?'}")
    console.print(f"session log: {result.log_path}")
    console.print(f"observations: {result.parquet_path} ({len(result.observations)})")


@app.command("verify")
def verify(log: Annotated[Path, typer.Argument(help="a session-*.jsonl log")]) -> None:
    """Prove a session log's hash chain and re-check every verified piece against its torrent."""
    from vigilant.p2p.session_log import verify_log

    report = verify_log(log)
    for problem in report.problems:
        console.print(f"[red]FAIL[/] {problem}")
    if not report.ok:
        raise typer.Exit(int(ExitCode.BAD_INPUT))
    console.print(
        f"OK: {report.records} records, chain intact, {report.pieces_checked} pieces re-verified; "
        f"final sha256 {report.final_sha256}"
    )
