"""``vigilant p2p``: observe BitTorrent peers (loopback unless --allow-remote) and verify session logs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from vigilant.cli.common import console, database, settings
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
    tracker: Annotated[
        list[str] | None,
        typer.Option("--tracker", help="a tracker to announce to, http(s):// or udp:// (repeatable)"),
    ] = None,
    dht_node: Annotated[
        list[str] | None,
        typer.Option("--dht-node", help="a DHT node to start get_peers from, IP:PORT (repeatable)"),
    ] = None,
    torrent_trackers: Annotated[
        bool, typer.Option(help="announce to the trackers each torrent or magnet names")
    ] = True,
    pex_wait: Annotated[
        float, typer.Option(help="seconds to wait per peer for its PEX list, when it offers one")
    ] = 2.0,
    max_probes: Annotated[int, typer.Option(help="the most peers one session probes")] = 10_000,
    download: Annotated[bool, typer.Option(help="fetch and verify one advertised piece per peer")] = True,
    timeout: Annotated[float, typer.Option(help="seconds allowed per peer and swarm")] = 30.0,
    allow_remote: Annotated[
        bool, typer.Option(help="allow peers, trackers and DHT nodes outside loopback")
    ] = False,
    case_id: Annotated[str | None, typer.Option("--case", help="case the session belongs to")] = None,
    ntp: Annotated[
        str | None,
        typer.Option("--ntp", help="the agency's time server, IP:PORT: its offset is measured and logged"),
    ] = None,
) -> None:
    """Find peers of each torrent (trackers, DHT, PEX, --peer) and confirm them as they arrive; writes a
    hash-chained session log and a Parquet file of observations (discoveries are tier 'announced')."""
    from vigilant.p2p.anchor import SessionEnd, record_session_end
    from vigilant.p2p.confirm import EVIDENCE, ConfirmSettings
    from vigilant.p2p.dht import DhtClient
    from vigilant.p2p.observer import Observer, ObserverSettings, PeerSource, StaticPeers
    from vigilant.p2p.targets import TargetSpec
    from vigilant.p2p.tracker import TrackerClient
    from vigilant.security.rights import Actor

    specs = [TargetSpec.load(t) for t in targets]
    named_trackers = torrent_trackers and any(spec.trackers for spec in specs)
    if not (peer or tracker or dht_node or named_trackers):
        raise ConfigError(
            "no peers and no way to find any",
            hint="add --peer IP:PORT, --tracker URL or --dht-node IP:PORT, or give a torrent naming trackers",
        )
    sources: list[PeerSource] = []
    if peer:
        sources.append(StaticPeers(tuple(_peer(p) for p in peer)))
    sources += [TrackerClient(url, allow_remote=allow_remote, timeout=10.0) for url in tracker or []]
    if dht_node:
        sources.append(DhtClient([_peer(n) for n in dht_node], allow_remote=allow_remote))
    config = settings()
    obs_settings = ObserverSettings(
        confirm=ConfirmSettings(download=download, timeout=timeout, pex_wait=pex_wait),
        allow_remote=allow_remote,
        operator=config.user,
        case_id=case_id,
        torrent_trackers=torrent_trackers,
        max_probes=max_probes,
        ntp_server=ntp,
    )
    anchored: list[int] = []

    def anchor(end: SessionEnd) -> None:  # the session's final hash, outside its log
        actor = Actor.cli(config.user)
        anchored.append(record_session_end(database(), actor, end, now=datetime.now(UTC)))

    observer = Observer(obs_settings, config.data_dir, sources, on_end=anchor)
    result = asyncio.run(observer.run(specs))
    for obs in result.observations:
        by = f" via {obs.reported_by}" if obs.tier == "announced" else ""
        line = f"{obs.tier:<10} {obs.method:<12} {obs.ip}:{obs.port} {obs.client or ''}{by}"
        console.print(line, markup=False, highlight=False)  # client names come from the peer
    silent = [p for p in result.probes if p.outcome not in EVIDENCE]
    for probe in silent:  # why each peer gave no evidence: the reasons come in part from the peer
        line = f"no evidence {probe.ip}:{probe.port} {probe.outcome} ({probe.target.kind} swarm): {probe.why}"
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    console.print(f"clock: {observer.clock_source}", markup=False, highlight=False)
    console.print(f"session log: {result.log_path}", soft_wrap=True)
    console.print(
        f"audit: the log's final sha256 {result.final_sha256} is audit event {anchored[0]}", soft_wrap=True
    )
    console.print(
        f"observations: {result.parquet_path} ({len(result.observations)}, "
        f"{len(result.discoveries)} discoveries, {len(result.probes)} peers probed)",
        soft_wrap=True,
    )
    confirmed = len(result.probes) - len(silent)
    console.print(f"peers: {confirmed} confirmed, {len(silent)} gave no evidence", soft_wrap=True)


@app.command("verify")
def verify(
    log: Annotated[Path, typer.Argument(help="a session-*.jsonl log")],
    audit: Annotated[
        bool,
        typer.Option(
            help="check the log's end against the audit chain's record of it (--no-audit: the chain alone, "
            "where the database is not at hand)"
        ),
    ] = True,
) -> None:
    """Prove a session log's hash chain, re-check every verified piece against its torrent, and compare
    the log's final hash with the one the audit chain took when the session ended."""
    from vigilant.p2p.anchor import check_anchor
    from vigilant.p2p.session_log import verify_log

    report = verify_log(log)
    problems = list(report.problems)
    anchor = None
    if audit:
        anchor = check_anchor(database(), report.session_id, report.records, report.final_sha256)
        problems += anchor.problems
    for problem in problems:
        console.print(f"[red]FAIL[/] {escape(problem)}", soft_wrap=True)
    if anchor is not None and anchor.status == "missing":
        console.print(
            "hint: a log from another installation is checked against its own audit chain; "
            "--no-audit checks the log's own chain and pieces only",
            soft_wrap=True,
        )
    if problems:
        raise typer.Exit(int(ExitCode.BAD_INPUT))
    where = (
        f"matches the audit chain (event {anchor.audit_seq})"
        if anchor is not None
        else "NOT checked against the audit chain (--no-audit)"
    )
    console.print(
        f"OK: {report.records} records, chain intact, {report.pieces_checked} pieces re-verified; "
        f"final sha256 {report.final_sha256} {where}",
        soft_wrap=True,
    )
