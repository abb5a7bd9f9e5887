"""Keys an examiner gives to unlock encrypted volumes, held in memory for one run and never stored.

A key is given as ``KIND:FROM`` (``passphrase:prompt``, ``recovery-password:env:BDE_KEY``,
``key-file:file:/media/usb/luks.key``): the kind says what it is, FROM says where to read it. The secret
itself is never an argument, so it never lands in a shell's history or a process list: it is typed at a
prompt that does not echo, read from an environment variable named by the option, or read from a file.

The keys of a run are a :class:`KeyRing`, held process-wide by :func:`holding` for as long as the run
walks its evidence (a run is worked on by one process: the CLI's, or the worker the web started). The
walks find it with :func:`current_ring` when they meet an encrypted volume; every volume it unlocks, or
fails to unlock, is told to the ring's ``on_event`` (the chain of custody records it: the kind of key, never
the key). Nothing here writes a key anywhere: not to the database, the logs, the run's files or a message.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from vigilant.evidence.base import EvidenceError


class KeyKind(StrEnum):
    """What a key is; what each encryption takes (see :data:`TAKES`)."""

    RECOVERY_PASSWORD = "recovery-password"  # BitLocker's 48 digits
    STARTUP_KEY = "startup-key"  # BitLocker's .BEK file
    PASSPHRASE = "passphrase"  # LUKS; BitLocker's user password
    KEY_FILE = "key-file"  # LUKS: the file's bytes are the passphrase
    PASSWORD = "password"  # an APFS volume's password

    @property
    def from_file_only(self) -> bool:
        """A key that *is* a file (a .BEK, a LUKS key file), not text read from one."""
        return self in (KeyKind.STARTUP_KEY, KeyKind.KEY_FILE)


# Which kinds each encryption tries, in this order. A passphrase and a password are both typed text: each is
# tried where the other is, so an examiner need not know which word the tool uses.
TAKES: dict[str, tuple[KeyKind, ...]] = {
    "LUKS": (KeyKind.PASSPHRASE, KeyKind.KEY_FILE, KeyKind.PASSWORD),
    "BitLocker": (KeyKind.RECOVERY_PASSWORD, KeyKind.STARTUP_KEY, KeyKind.PASSPHRASE, KeyKind.PASSWORD),
    "APFS": (KeyKind.PASSWORD, KeyKind.PASSPHRASE, KeyKind.RECOVERY_PASSWORD),
}


@dataclass(frozen=True)
class VolumeKey:
    """One key: its kind, and the secret (text) or, for a startup key or key file, the file holding it."""

    kind: KeyKind
    secret: str = field(repr=False, default="")
    path: Path | None = field(repr=False, default=None)  # a startup key's .BEK file

    def __str__(self) -> str:
        return self.kind.value  # what any message may say of a key


@dataclass(frozen=True)
class UnlockEvent:
    """An encrypted volume a walk unlocked, or could not: what the chain of custody records."""

    where: str  # the volume, as problems name it
    encryption: str  # "LUKS1", "BitLocker", "APFS"
    key: KeyKind | None  # the kind of key that unlocked it (None: none did)
    reason: str | None = None  # why it was not unlocked

    @property
    def unlocked(self) -> bool:
        return self.key is not None

    def detail(self) -> dict[str, str]:
        """The custody event's detail: the volume, its encryption, the KIND of key. Never the key."""
        found = {"volume": self.where, "encryption": self.encryption}
        if self.key is not None:
            return {**found, "key": self.key.value}
        return {**found, "reason": self.reason or "not unlocked"}


class KeyRing:
    """The keys given for one run or one check; tells ``on_event`` once per volume and outcome."""

    def __init__(self, keys: list[VolumeKey], on_event: Callable[[UnlockEvent], None] | None = None) -> None:
        self.keys = tuple(keys)
        self.on_event = on_event
        self.events: list[UnlockEvent] = []
        self._lock = threading.Lock()  # walks in two threads (the count and the pass) meet the same volume

    def __repr__(self) -> str:
        return f"KeyRing({', '.join(str(k) for k in self.keys)})"

    def for_encryption(self, family: str) -> list[VolumeKey]:
        """The keys to try on a volume of ``family`` ("LUKS", "BitLocker", "APFS"), in the order to try."""
        order = TAKES.get(family, ())
        return sorted((k for k in self.keys if k.kind in order), key=lambda k: order.index(k.kind))

    def tell(self, event: UnlockEvent) -> None:
        with self._lock:
            if event in self.events:
                return  # the count's walk and the run's pass both open the volume: one custody event
            self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)


_current: KeyRing | None = None
_current_lock = threading.Lock()


def current_ring() -> KeyRing | None:
    """The keys given for the run this process is working on, if any."""
    with _current_lock:
        return _current


@contextmanager
def holding(ring: KeyRing | None) -> Iterator[KeyRing | None]:
    """Hold ``ring`` for the walks made inside the block (in any thread of this process); forget it after."""
    global _current  # noqa: PLW0603 - one run per process holds its keys; see the module's note
    with _current_lock:
        previous, _current = _current, ring
    try:
        yield ring
    finally:
        with _current_lock:
            _current = previous


# --- reading keys from where the examiner put them -------------------------------------------------------
def parse_key(spec: str, prompt: Callable[[str], str], environ: Mapping[str, str] | None = None) -> VolumeKey:
    """The key ``spec`` names: ``KIND:prompt``, ``KIND:env:NAME`` or ``KIND:file:PATH``.

    A passphrase, password or recovery password read from a file is its first line (the line end
    dropped); a key file is its bytes, as cryptsetup reads a ``--key-file``; a startup key stays a file
    (libbde reads it).
    """
    kinds = ", ".join(k.value for k in KeyKind)
    name, sep, origin = spec.partition(":")
    try:
        kind = KeyKind(name)
    except ValueError:
        raise EvidenceError(
            f"unknown kind of key {name!r} in --key {spec.split(':', 1)[0]}:…",
            hint=f"give one of {kinds}, as KIND:prompt, KIND:env:NAME or KIND:file:PATH",
        ) from None
    how, _, where = origin.partition(":")
    if not sep or how not in ("prompt", "env", "file") or (how != "prompt" and not where):
        raise EvidenceError(
            f"--key {kind.value}:… must say where the key is read from",
            hint=f"{kind.value}:prompt (typed, not echoed), {kind.value}:env:NAME (an environment variable)"
            f" or {kind.value}:file:PATH; the key itself is never given on the command line",
        )
    if kind.from_file_only and how != "file":
        raise EvidenceError(f"a {kind.value} is a file", hint=f"give it as {kind.value}:file:PATH")
    if how == "prompt":
        secret = prompt(f"{kind.value} (not echoed)")
    elif how == "env":
        value = (os.environ if environ is None else environ).get(where)
        if not value:
            raise EvidenceError(
                f"the environment variable {where} named by --key {kind.value}:env:{where} is not set",
                hint="export it in this shell first (e.g. read -rs VAR && export VAR)",
            )
        secret = value
    else:
        return _from_file(kind, Path(where))
    if not secret:
        raise EvidenceError(f"an empty {kind.value}", hint="give the key again")
    return VolumeKey(kind, secret)


def _from_file(kind: KeyKind, path: Path) -> VolumeKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EvidenceError(
            f"cannot read the {kind.value} file {path}: {exc.strerror or exc}", hint="check the path"
        ) from exc
    if kind is KeyKind.STARTUP_KEY:
        return VolumeKey(kind, path=path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise EvidenceError(
            f"the {kind.value} file {path} is not UTF-8 text",
            hint="libluksde takes a LUKS key as text: a binary key file cannot be used",
        ) from None
    if kind is not KeyKind.KEY_FILE:
        text = text.splitlines()[0] if text else ""
    if not text:
        raise EvidenceError(f"the {kind.value} file {path} is empty", hint="check the file")
    return VolumeKey(kind, text)


# --- handing keys to the worker process of a run the web started -----------------------------------------
TYPED_KINDS = (KeyKind.PASSPHRASE, KeyKind.PASSWORD, KeyKind.RECOVERY_PASSWORD)  # what a form can carry


def typed_key(kind: str, secret: str) -> VolumeKey:
    """A key typed into a form: its kind must be one that is typed text (a key file stays on its machine)."""
    if kind not in {k.value for k in TYPED_KINDS}:
        raise EvidenceError(
            f"a key of kind {kind!r} cannot be typed",
            hint=f"give one of {', '.join(k.value for k in TYPED_KINDS)}",
        )
    if not secret:
        raise EvidenceError(f"an empty {kind}", hint="type the key, or leave the kind unset")
    return VolumeKey(KeyKind(kind), secret)


def keys_to_pipe(keys: list[VolumeKey]) -> bytes:
    """The keys as the bytes written to a worker's standard input (a pipe: never a file, an argument or
    the environment, which other users of the machine can read)."""
    return json.dumps([{"kind": k.kind.value, "secret": k.secret} for k in keys]).encode()


def keys_from_pipe(data: bytes) -> list[VolumeKey]:
    return [VolumeKey(KeyKind(k["kind"]), str(k["secret"])) for k in json.loads(data)]
