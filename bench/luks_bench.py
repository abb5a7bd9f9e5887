"""Reading an unlocked LUKS1 volume: Vigilant's reader beside libluksde on the volume file, and AES-XTS alone.

The volume is made in a temporary folder by Debian's cryptsetup (offline ``reencrypt``, then ``convert`` to
LUKS1, as ``tests/evidence/make_luks.py`` does) over random bytes; AES-128-XTS, 512-byte sectors.

* ``vigilant``: :func:`vigilant.evidence.unlock.unlock` on the raw image, read in 4 MiB pieces (libluksde
  through the read-ahead file object, as a triage run reads it);
* ``libluksde through a plain file object (before)``: as Vigilant read it before the read-ahead window, one
  image read per 512-byte sector;
* ``libluksde (volume opened by path)``: the library reading the file itself, no Python in between;
* ``libluksde, 2 handles in 2 threads``: the same, two handles on the two halves (it releases the GIL);
* ``cryptography AES-XTS per 512-byte sector``: what decrypting in Python with OpenSSL would cost, one
  cipher context per sector as LUKS1's plain64 tweak needs (a random key: libluksde never gives its own).

Each is given as MB/s of wall time and MB per CPU-second of this process (the machine is shared: the second
is the steadier), and OpenSSL's own AES-XTS speed as the ceiling. No target: the figures say where the time
goes.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Row = dict[str, object]
SIZES = {"quick": 48 << 20, "full": 288 << 20}
_PIECE = 4 << 20
_PASSWORD = "bench only"


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def _measure(action: Callable[[], int]) -> tuple[float, float]:
    """(MB/s wall, MB per CPU-second) of ``action``, which returns the bytes it handled."""
    wall, cpu = time.perf_counter(), _cpu()
    done = action()
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    return done / wall / 1e6, done / max(cpu, 1e-9) / 1e6


def _make_volume(folder: Path, size: int) -> Path:
    volume, key = folder / "v.img", folder / "k.txt"
    key.write_text(_PASSWORD)
    with volume.open("wb") as fh:
        for _ in range(size // _PIECE):
            fh.write(os.urandom(_PIECE))
    fast = ["--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000", "--key-size", "256"]
    subprocess.run(
        ["cryptsetup", "reencrypt", "--encrypt", "--batch-mode", "--type", "luks2", *fast,
         "--reduce-device-size", "32M", "--key-file", str(key), str(volume)],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(["cryptsetup", "convert", "--batch-mode", "--type", "luks1", str(volume)], check=True)
    return volume


def _by_path(volume: Path) -> Any:
    import pyluksde  # noqa: PLC0415 - a native module, only this benchmark's

    handle = pyluksde.volume()
    handle.open(str(volume))
    handle.set_password(_PASSWORD)
    handle.unlock()
    return handle


def _read_all(read: Callable[[int, int], bytes], start: int, end: int) -> int:
    for offset in range(start, end, _PIECE):
        read(offset, min(_PIECE, end - offset))
    return end - start


def _reader_of(handle: Any) -> Callable[[int, int], bytes]:
    def read(offset: int, size: int) -> bytes:
        data: bytes = handle.read_buffer_at_offset(size, offset)
        return data

    return read


def _vigilant(volume: Path) -> int:
    from vigilant.evidence.images import RawImage  # noqa: PLC0415
    from vigilant.evidence.keys import KeyKind, KeyRing, VolumeKey  # noqa: PLC0415
    from vigilant.evidence.unlock import unlock  # noqa: PLC0415

    with RawImage(volume) as image:
        ring = KeyRing([VolumeKey(KeyKind.PASSPHRASE, _PASSWORD)])
        opened = unlock(image, 0, "LUKS1", where="bench", lock=threading.RLock(), ring=ring)
        assert opened.reader is not None, opened.reason
        try:
            return _read_all(opened.reader.read, 0, opened.reader.size)
        finally:
            opened.reader.close()


def _plain_file_object(volume: Path) -> int:
    import pyluksde  # noqa: PLC0415

    from vigilant.evidence.images import RawImage  # noqa: PLC0415
    from vigilant.evidence.libyal_filesystems import VolumeFile  # noqa: PLC0415

    with RawImage(volume) as image:
        handle = pyluksde.volume()
        handle.open_file_object(VolumeFile(image, 0))
        handle.set_password(_PASSWORD)
        handle.unlock()
        try:
            return _read_all(_reader_of(handle), 0, int(handle.get_size()))
        finally:
            handle.close()


def _openssl() -> float | None:
    """OpenSSL's own AES-128-XTS speed on 16 KiB blocks (bytes/s), one core: the AES-NI ceiling."""
    if shutil.which("openssl") is None:
        return None
    done = subprocess.run(
        ["openssl", "speed", "-seconds", "1", "-evp", "aes-128-xts"],
        capture_output=True,
        text=True,
        check=False,
    )
    last = done.stdout.strip().splitlines()[-1:] if done.returncode == 0 else []
    if not last or not last[0].startswith("AES-128-XTS"):
        return None
    return float(last[0].split()[-1].rstrip("k")) * 1000


def _library(volume: Path, handles: int) -> int:
    opened = [_by_path(volume) for _ in range(handles)]
    size = int(opened[0].get_size())
    parts = [(i * size // handles, (i + 1) * size // handles) for i in range(handles)]
    workers = [
        threading.Thread(target=_read_all, args=(_reader_of(h), a, b))
        for h, (a, b) in zip(opened, parts, strict=True)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return size


def _cryptography(size: int) -> int:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: PLC0415

    aes = algorithms.AES(os.urandom(32))
    data = memoryview(os.urandom(_PIECE))
    for piece in range(size // _PIECE):
        for at in range(0, _PIECE, 512):
            tweak = (piece * (_PIECE // 512) + at // 512).to_bytes(16, "little")
            Cipher(aes, modes.XTS(tweak)).decryptor().update(data[at : at + 512])
    return size // _PIECE * _PIECE


def run(scale: str) -> list[Row]:
    if shutil.which("cryptsetup") is None:
        return [{"benchmark": "LUKS1 read", "subject": "vigilant", "metric": "MB/s", "value": None,
                 "unit": "MB/s", "note": "cryptsetup (cryptsetup-bin) is missing"}]  # fmt: skip
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="vigilant-luks-bench-") as folder:
        volume = _make_volume(Path(folder), SIZES[scale])
        data = f"LUKS1 AES-128-XTS, {SIZES[scale] - (32 << 20) >> 20} MiB"
        subjects: list[tuple[str, Callable[[], int]]] = [
            ("vigilant", lambda: _vigilant(volume)),
            ("libluksde through a plain file object (before)", lambda: _plain_file_object(volume)),
            ("libluksde (volume opened by path)", lambda: _library(volume, 1)),
            ("libluksde, 2 handles in 2 threads", lambda: _library(volume, 2)),
            ("cryptography AES-XTS per 512-byte sector", lambda: _cryptography(SIZES[scale] // 4)),
        ]
        ours: tuple[float, float] | None = None
        for subject, action in subjects:
            wall, per_cpu = _measure(action)
            ours = ours or (wall, per_cpu)
            for metric, value, mine in (("MB/s", wall, ours[0]), ("MB per CPU-second", per_cpu, ours[1])):
                row: Row = {"benchmark": "LUKS1 read", "data": data, "subject": subject, "metric": metric,
                            "value": round(value, 1), "unit": "MB/s"}  # fmt: skip
                if subject != "vigilant":
                    row["ratio"] = round(mine / value, 2)
                rows.append(row)
    ceiling = _openssl()
    rows.append({"benchmark": "LUKS1 read", "subject": "openssl speed -evp aes-128-xts (16 KiB blocks)",
                 "metric": "MB/s", "value": None if ceiling is None else round(ceiling / 1e6), "unit": "MB/s",
                 "note": "AES-NI, one core: what decryption alone could reach"})  # fmt: skip
    return rows
