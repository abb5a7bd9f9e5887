"""Which process is working on a triage run: an exclusive lock held for as long as it works.

A run may be worked on from the CLI (`vigilant triage run|resume`) or by a worker process the web
application starts; two processes writing the same run's batches would waste the cores, and one must
not finish a run the other is still writing. The lock is ``flock`` on a file beside the run's results:
the kernel releases it when the holding process ends, however it ends (``kill -9`` included), so a
killed run can be resumed at once and a lock is never left stale.

The web application takes the lock *before* it starts the worker and hands the descriptor over
(:meth:`RunLock.hand_over`): ``flock`` belongs to the open file, which the worker inherits, so there is
no moment in which a second request could start a second worker for the same run.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from vigilant.errors import ConflictError


class RunLock:
    """Held: this process (or the one it was handed to) works on the run."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.fd: int | None = fd

    @classmethod
    def take(cls, path: Path) -> RunLock:
        """The lock, or :class:`ConflictError` naming the process that holds it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            _lock(fd)
        except BlockingIOError:
            os.close(fd)
            pid = holder(path)
            raise ConflictError(
                f"{path.stem} is being worked on by another process"
                + (f" (pid {pid})" if pid is not None else ""),
                hint="wait for it to finish, or stop that process; the run resumes where it was",
            ) from None
        except BaseException:
            os.close(fd)
            raise
        _write_pid(fd, os.getpid())
        return cls(path, fd)

    @classmethod
    def adopt(cls, path: Path, fd: int) -> RunLock:
        """A descriptor inherited from the process that took the lock (the web application)."""
        os.set_inheritable(fd, False)
        _write_pid(fd, os.getpid())
        return cls(path, fd)

    def hand_over(self) -> int:
        """The descriptor, for a child process to inherit; this process no longer holds it once the child
        runs and :meth:`close` is called (closing is not unlocking while the child keeps it open)."""
        assert self.fd is not None, "the lock was already released"
        return self.fd

    def passed_to(self, pid: int) -> None:
        """The child that inherited the descriptor works on the run now: name it, and let go of ours."""
        assert self.fd is not None, "the lock was already released"
        _write_pid(self.fd, pid)
        self.close()

    def close(self) -> None:
        """Let go of this process's descriptor (the lock ends when no process has it open)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def holder(path: Path) -> int | None:
    """The pid of the process working on the run (0: not known yet), or None when none is."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            # Held; 0 when the holder has not written its pid yet.
            return int(text) if text.isdigit() else 0
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _lock(fd: int) -> None:
    # A few tries: :func:`holder` takes the lock shared for an instant to look, which must not make a
    # process that starts work at that instant believe the run is taken.
    for attempt in range(_TRIES):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if attempt == _TRIES - 1:
                raise
            time.sleep(0.02)


_TRIES = 5


def _write_pid(fd: int, pid: int) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{pid}\n".encode(), 0)
