"""One sequential read of an image for a whole triage run: verification hashes and file content alike.

A run used to read its files (along their extents), then read and hash the whole image again to verify it.
:class:`PassReader` wraps the image's reader and reads the image once, from start to end, in chunks of
:data:`CHUNK`: each chunk is hashed for verification (a raw image's MD5 and SHA-256, as
:meth:`~vigilant.evidence.sources.RawSource.acquisition_hashes` records them; an E01's media MD5 and SHA-1,
as :meth:`~vigilant.evidence.images.EwfImage.verify` computes them) and kept in a window of the last
:data:`WINDOW` chunks, from which the files' content reads are served.

Which read is served from where (the bytes are the same either way: the image is read-only):

* a content read (:meth:`ImageReader.readinto`, what :class:`~vigilant.evidence.tsk_reader.DirectRead`
  calls along a file's extents) whose bytes lie in the window is copied from it; one that lies ahead of
  the pass (up to :data:`LOOKAHEAD` bytes) waits for the pass to get there, then is copied;
* any other read goes to the image itself as before: content behind the window (a file whose extents go
  backwards, or a thread that fell behind), far ahead of it, or larger than :data:`LARGEST`; and every
  read by The Sleuth Kit (:meth:`ImageReader.read`: metadata, deleted files, resident or compressed
  streams), which never waits, so that the walk never stalls on the pass.

The pass keeps pace with the readers: before a chunk leaves the window it waits until some content read
has asked for bytes past it, but never longer than :data:`QUIET` after the last new request (:data:`START`
for the first), so it cannot deadlock with a reader waiting for it, and a run whose files are all read
already (a resumed run) is one plain sequential read. Memory: :data:`WINDOW` chunks of :data:`CHUNK` bytes
(128 MiB), allocated once.

A read error ends the pass (:attr:`PassReader.error`): readers then read the image themselves and meet the
error at their own file, and :meth:`PassReader.hashes` gives None, so the run verifies the image as before
(a second read, which reports what it finds).
"""

from __future__ import annotations

import hashlib
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from vigilant.evidence.filesystems import FileSystemWalker
from vigilant.evidence.images import ImageReader
from vigilant.evidence.sources import E01Source, RawSource

CHUNK = 4 << 20  # bytes per sequential read: few calls into hashlib, each releasing the GIL for long
WINDOW = 32  # chunks kept for the files' reads: 128 MiB in all (two threads' groups of files, and more)
# How far ahead of the pass a content read waits for it: a little (the pass is about to get there, ~50 ms at
# 0.7 GB/s). A read further ahead is made by its thread at once: a thread waiting for the pass idles a core,
# and a thread holding four large files side by side waited for the furthest while its other three fell
# behind the window (8 files of 40 MB: 1 GiB ahead allowed, 6-7 s, against 4.5-5.5 s for two reads).
LOOKAHEAD = 8 * CHUNK
RAW_DIGESTS = ("md5", "sha256")  # a raw image's acquisition hashes (RawSource.acquisition_hashes)
EWF_DIGESTS = ("md5", "sha1")  # what an E01 stores of its media, and EwfImage.verify compares
LARGEST = (WINDOW // 2) * CHUNK  # a larger read is not served from the window (it could not hold it all)
QUIET = 0.05  # seconds without a new content read after which the pass stops waiting for the readers
START = 1.0  # seconds the pass waits for the first content read (the walk opening the file systems)


class PassReader(ImageReader):
    """``inner``'s bytes, read once sequentially in a thread of its own; see the module's description.

    Closing it stops the pass and closes ``inner``.
    """

    def __init__(self, inner: ImageReader, digests: tuple[str, ...] = RAW_DIGESTS) -> None:
        super().__init__(inner.description, inner.size)
        self._inner = inner
        self._slots = [memoryview(bytearray(CHUNK)) for _ in range(WINDOW)]
        self._hashed: list[Future[None] | None] = [None] * WINDOW  # MD5 still using the slot
        self._low = 0  # the window holds image bytes [low, high)
        self._high = 0
        self._ended = False  # the pass reached the end, failed, or was stopped
        self._stop = False
        self._frontier = 0  # the furthest offset a content read has asked for
        self._asked = time.monotonic()  # when the frontier last moved
        self._readers_done = False  # no more content reads will come: read on to the end unpaced
        self.error: str | None = None
        self.served = 0  # content bytes copied from the window
        self.own = 0  # content bytes the readers read from the image themselves
        self._digests = {name: hashlib.new(name, usedforsecurity=False) for name in digests}
        self._md5 = self._digests.pop("md5", None)
        self._cond = threading.Condition()
        # MD5 is one serial stream (~0.7 GB/s a core, the slowest step): it gets a thread of its own, the
        # pass thread reads and does the others meanwhile (hashlib releases the GIL on large buffers).
        self._md5_thread = ThreadPoolExecutor(1, thread_name_prefix="image-pass-md5")
        self._thread = threading.Thread(target=self._run, name="image-pass", daemon=True)
        self._thread.start()

    # --- the pass -------------------------------------------------------------------------------------
    def _run(self) -> None:
        offset, index = 0, 0
        try:
            while offset < self.size and not self._stop:
                slot = index % WINDOW
                pending = self._hashed[slot]
                if pending is not None:
                    pending.result()  # MD5 is done with the bytes this slot held
                with self._cond:  # the oldest chunk leaves the window before its slot is reused
                    if index >= WINDOW:
                        self._pace((index - WINDOW + 1) * CHUNK)
                        self._low = (index - WINDOW + 1) * CHUNK
                view = self._slots[slot][: min(CHUNK, self.size - offset)]
                got = self._inner.readinto(offset, view)
                if got != len(view):
                    raise OSError(f"{self.description}: ends early at byte {offset + got}")
                if self._md5 is not None:
                    self._hashed[slot] = self._md5_thread.submit(self._md5.update, view)
                with self._cond:
                    self._high = offset + got
                    self._cond.notify_all()
                for digest in self._digests.values():
                    digest.update(view)
                offset += got
                index += 1
            for pending in self._hashed:
                if pending is not None:
                    pending.result()
        except Exception as exc:  # the pass gives up; readers read for themselves and meet the error
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            with self._cond:
                self._ended = True
                self._cond.notify_all()

    def _pace(self, leaving: int) -> None:
        """Wait (lock held) while the readers, still reading, have not asked for bytes past ``leaving``: the
        bytes below it leave the window next. Readers quiet for :data:`QUIET` are not waited for (their files
        lie behind, or elsewhere, or the walk is between files), so the pass never stalls for long."""
        while (
            not self._stop
            and not self._readers_done
            and self._frontier < leaving
            and time.monotonic() - self._asked < (QUIET if self._frontier else START)
        ):
            self._cond.wait(QUIET)

    def hashes(self) -> dict[str, str] | None:
        """Wait for the pass to end; the image's digests (hex, by hashlib's names) and size (``bytes``), or
        None where the pass did not read every byte (a read error, or stopped)."""
        with self._cond:
            self._readers_done = True
            self._cond.notify_all()
        self._thread.join()
        if self.error is not None or self._stop or self._high != self.size:
            return None
        found = {name: digest.hexdigest() for name, digest in self._digests.items()}
        if self._md5 is not None:
            found["md5"] = self._md5.hexdigest()
        return {**dict(sorted(found.items())), "bytes": str(self.size)}

    # --- the reads ------------------------------------------------------------------------------------
    def _read(self, offset: int, size: int) -> bytes:
        # The Sleuth Kit's reads (metadata, streams it reads itself): from the window if there, never waiting.
        view = memoryview(bytearray(size))
        with self._cond:
            if self._copy(offset, view):
                return bytes(view)
        return self._inner.read(offset, size)

    def _readinto(self, offset: int, view: memoryview) -> None:
        end = offset + len(view)
        with self._cond:
            if offset > self._frontier:
                self._frontier, self._asked = offset, time.monotonic()
                self._cond.notify_all()
            if len(view) <= LARGEST:
                while not self._ended and self._high < end and offset < self._high + LOOKAHEAD:
                    if offset < self._low:
                        break
                    self._cond.wait()
            if self._copy(offset, view):
                self.served += len(view)
                return
            self.own += len(view)
        got = self._inner.readinto(offset, view)
        if got != len(view):
            raise OSError(f"{self.description}: ends early at byte {offset + got}")

    def _copy(self, offset: int, view: memoryview) -> bool:
        """Copy the bytes at ``offset`` into ``view`` if the window holds them all (lock held)."""
        end = offset + len(view)
        if offset < self._low or end > self._high:
            return False
        filled = 0
        while filled < len(view):
            at = offset + filled
            slot, inside = (at // CHUNK) % WINDOW, at % CHUNK
            take = min(len(view) - filled, CHUNK - inside)
            view[filled : filled + take] = self._slots[slot][inside : inside + take]
            filled += take
        return True

    def _close(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._thread.join()
        self._md5_thread.shutdown(wait=True)
        self._inner.close()


def one_pass_walk(source: object, path: Path) -> tuple[FileSystemWalker, PassReader] | None:
    """A walk of a raw or E01 image whose reads go through one sequential pass, and the pass; None for any
    other source type (virtual disks verify their container files, not the disk's bytes; a folder or an
    archive has no image to read). An E01's pass hashes its media as ``EwfImage.verify`` does, so that its
    decompression is done once too."""
    if isinstance(source, RawSource):
        reader = PassReader(source.open_image(path), RAW_DIGESTS)
    elif isinstance(source, E01Source):
        reader = PassReader(source.open_image(path), EWF_DIGESTS)
    else:
        return None
    try:
        return FileSystemWalker(reader, owns_reader=True), reader
    except BaseException:
        reader.close()
        raise
