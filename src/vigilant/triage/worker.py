"""Triage runs started from the web application: each worked on by a process of its own.

A run takes minutes to hours and both cores; the web server must go on answering meanwhile, and a run
must survive the server being restarted. So the server registers the run (queued), takes the run's lock,
and starts ``python -m vigilant.triage.worker RUN ACTOR --lock-fd N`` in a new session, which inherits the
lock (see :mod:`vigilant.triage.runlock`) and works on the run exactly as `vigilant triage resume` would.
The worker's output goes to ``run-NNNNNN.log`` beside the run's results; its progress, status and errors
go to the run's row, which the pages read.

The worker gets the server's database URL and data folder through its environment (never its command
line, which other users of the machine can read).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from vigilant.config import Settings
from vigilant.errors import VigilantError
from vigilant.evidence.keys import KeyRing, VolumeKey, holding, keys_from_pipe, keys_to_pipe
from vigilant.security.rights import Actor
from vigilant.store import open_database
from vigilant.triage.cluster import ClusterRun
from vigilant.triage.runlock import RunLock
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService


def log_path(service: TriageService, run_id: int) -> Path:
    return service.lock_path(run_id).with_suffix(".log")


def launch(
    settings: Settings,
    service: TriageService,
    run_id: int,
    actor: str,
    lock: RunLock,
    *,
    after_exit: Callable[[int], object] | None = None,
    keys: Sequence[VolumeKey] = (),
) -> int:
    """Start the worker for a run whose lock this process holds; return its pid. The lock passes to it.
    ``keys``: for the run's encrypted volumes, written to the worker's standard input.
    ``after_exit(run_id)`` is called in this process once the worker has exited (the face's follow-up,
    such as the link graph's rebuild, which triage may not import)."""
    env = {
        **os.environ,
        "VIGILANT_DATA_DIR": str(settings.data_dir),
        "VIGILANT_DATABASE_URL": settings.database_url,
        "VIGILANT_USER": actor,
        # The server's scheduler, whatever the environment says: the launcher counted the run as going there.
        "VIGILANT_DASK_SCHEDULER": settings.dask_scheduler,
    }
    if settings.secret_key_path is not None:
        env["VIGILANT_SECRET_KEY_FILE"] = str(settings.secret_key_path)
    fd = lock.hand_over()
    try:
        with log_path(service, run_id).open("ab") as log:
            # "--": a user name is data, even one that starts with a dash.
            command = [sys.executable, "-m", "vigilant.triage.worker", "--lock-fd", str(fd)]
            # Keys for encrypted volumes go through a pipe to the worker: never its command line or
            # environment (which other users of the machine can read), never a file.
            command += ["--keys-on-stdin", "--"] if keys else ["--"]
            process = subprocess.Popen(
                [*command, str(run_id), actor],
                env=env,
                stdin=subprocess.PIPE if keys else subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(fd,),
                start_new_session=True,  # not stopped with the server, nor by a terminal's Ctrl-C
            )
    except BaseException:
        lock.close()  # it could not start: the lock ends here, and the run can be resumed
        raise
    if keys and process.stdin is not None:
        with process.stdin, contextlib.suppress(BrokenPipeError):  # a worker gone: its run says why
            process.stdin.write(keys_to_pipe(list(keys)))
    # The worker has its own copy of the descriptor; until it writes its pid itself, the lock names it.
    lock.passed_to(process.pid)

    # Someone must collect the worker's exit status, or it lingers as a zombie while the server lives.
    def reap() -> None:
        process.wait()
        if after_exit is not None:
            after_exit(run_id)

    threading.Thread(target=reap, name=f"triage-worker-{run_id}", daemon=True).start()
    return process.pid


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vigilant.triage.worker", description=__doc__)
    parser.add_argument("run_id", type=int)
    parser.add_argument("actor")
    parser.add_argument("--lock-fd", type=int, required=True, help="the run's lock, inherited")
    parser.add_argument("--keys-on-stdin", action="store_true", help="keys for encrypted volumes")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    db = open_database(settings.database_url)
    try:
        service = TriageService(db, settings.data_dir)
        lock = RunLock.adopt(service.lock_path(args.run_id), args.lock_fd)
        print(f"worker {os.getpid()}: run {args.run_id} for {args.actor}", flush=True)
        # The server recorded the start (or the resumption) in the custody log before starting us, having
        # checked the user's rights and sight of the item: the worker is the server's own hands on the run,
        # so it acts as the server's local actor under the user's name (the name the custody log records).
        actor = Actor.cli(args.actor)
        keys = keys_from_pipe(sys.stdin.buffer.read()) if args.keys_on_stdin else []
        item = service.status(args.run_id, actor).evidence_id
        record = service.evidence.unlock_recorder(item, actor, {"run": args.run_id})
        with holding(KeyRing(keys, record) if keys else None):  # in memory, for this run only
            # Runs the web starts go to the installation's Dask scheduler, when it has one; not a run given
            # keys of encrypted volumes, which never leave this process.
            cluster = ClusterRun(settings.dask_scheduler) if settings.dask_scheduler and not keys else None
            service.work(args.run_id, actor, Progress(), lock=lock, cluster=cluster)
        print(f"worker {os.getpid()}: run {args.run_id} finished", flush=True)
        return 0
    except VigilantError as exc:
        print(f"worker {os.getpid()}: run {args.run_id}: {exc}", flush=True)
        return int(exc.exit_code)
    finally:
        db.dispose()


if __name__ == "__main__":
    sys.exit(main())
