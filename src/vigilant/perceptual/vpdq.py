"""vPDQ: perceptual hashes of videos, as Meta's vPDQ defines them — a PDQ hash per second of video.

A video is decoded as a stream (PyAV, whose wheels bundle FFmpeg: the optional ``video`` extra), never held
in memory whole. Every frame is decoded, as vPDQ does; one frame per :data:`SECONDS_PER_HASH` is hashed: the
first frame whose *presentation time* (from the first frame's, or from the start the file states when video
is missing before the first frame) reaches 0 s, 1 s, 2 s, … — so variable frame rates and gaps are handled
by time, not by counting frames. Each chosen frame goes through the same
PDQ code path as a still picture (:func:`vigilant.perceptual.pdq.pdq_of_pil`: RGB, box downscale to 512 px,
pdqhash), so a known picture that appears as a frame hashes as the picture does.

Deduplication: a sampled frame whose PDQ hash is *identical* to the previous kept frame's is dropped (a
static shot keeps its first second only). Near-identical hashes are all kept. This never changes a
:func:`vpdq_match` result, which, like python-threatexchange's vPDQ matcher, drops exact duplicates anyway.

Decoding is bounded by a :class:`VideoLimits`: the file's size, the seconds of video and the frames decoded.
A video cut short by a limit or by corruption keeps the frames hashed so far and says why in
:attr:`VideoHash.note`; one that yields no frame at all raises :class:`VideoDecodeError`.

The decoding itself — packets the decoder rejects or frames it flags as damaged, stretches with no frame
(gaps, including video missing at the start), files that name other files — lives in
:mod:`vigilant.perceptual.vpdq_decode`, which imports PyAV; this module holds the data types, the constants,
the entry :func:`vpdq_of_video` and the matching :func:`vpdq_match`.

FFmpeg decodes each video, and converts its frames to RGB, with :data:`DECODER_THREADS` threads (one):
triage already runs one decoding process per core.

Without PyAV installed, :data:`VPDQ_AVAILABLE` is false and :func:`vpdq_of_video` raises
:class:`VideoHashUnavailable`; triage writes :data:`VPDQ_MISSING` on every video instead.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import IO, Final

import numpy as np
import numpy.typing as npt

from vigilant.errors import BadInputError, ConfigError
from vigilant.hashing.digests import PDQ
from vigilant.perceptual.pdq import PDQ_MIN_QUALITY

VPDQ_AVAILABLE: bool = importlib.util.find_spec("av") is not None
"""Whether PyAV (the optional ``video`` extra) is installed; read at call time, so tests may patch it."""

VPDQ_MISSING: Final = (
    "video: perceptual hash (vPDQ) not available; install the optional 'video' extra (PyAV): "
    "pip install 'vigilant[video]'"
)
SECONDS_PER_HASH: Final = 1.0
"""vPDQ's default: one hashed frame per second of video."""
VPDQ_DISTANCE: Final = 31
"""Two frames match when their PDQ hashes differ in at most this many bits (vPDQ's distance tolerance)."""
VPDQ_QUALITY: Final = PDQ_MIN_QUALITY
"""Frames below this PDQ quality are left out of a comparison (vPDQ's quality tolerance)."""
TIMESTAMP_DIGITS: Final = 3
"""Frame times are kept to the millisecond, as vPDQ writes them."""
DECODER_THREADS: Final = 1
"""Threads FFmpeg decodes one video with, and converts its frames to RGB with (0: FFmpeg chooses, by cores).

One, because triage decodes videos in a pool of worker processes, one per core: the cores are busy already,
and FFmpeg's own threads (PyAV asks for one per core, for the decoder and, from PyAV 17, for every frame
converted) would only make those processes take turns on them. One thread also keeps the H.264 decoder's
flag on the frames it concealed errors in: with slice threads (PyAV's default) FFmpeg 8.1 drops it for some
damaged frames. A caller decoding a single video on an otherwise idle machine may ask for more.
"""

MAX_REJECTED_IN_A_ROW: Final = 100
"""Packets the decoder rejects in a row before decoding stops (four seconds at 25 frames a second).

A rejected packet is skipped and decoding goes on; so many in a row mean the rest of the stream is not video
the decoder can read, and stopping bounds the work a file of garbage can cause (rejected packets are not
frames, so :attr:`VideoLimits.max_frames` does not bound them).
"""
GAP_INTERVALS: Final = 2
"""A stretch of more than this many hashing intervals (2 s by default) with no frame is reported as a gap.

The stretch is measured from the end of one decoded frame (its presentation time plus its duration) to the
start of the next, so a variable-frame-rate video whose frame stays on screen for seconds (it lasts that
long) has no gap, while a frame of a tenth of a second followed by nothing for three seconds has one. Longer
than two intervals, a stretch always holds a whole interval that no frame falls in: a hash vPDQ would have
taken is missing. Shorter stretches only move a hashed frame within its second, below vPDQ's resolution.
The stretch from the start time the stream (or container) states to the first decoded frame counts the same
way; nothing is measured there when the file states no start.
"""
MAX_GAPS_NOTED: Final = 3
"""Gaps listed in the note; any more are counted ("and 2 more"), and all are in :attr:`VideoHash.gaps`."""

_VideoSource = str | os.PathLike[str] | IO[bytes]


class VideoDecodeError(BadInputError):
    """A video cannot be decoded: corrupt, truncated before its first frame, no video stream, too large."""


class VideoHashUnavailable(ConfigError):
    """PyAV, which decodes videos, is not installed."""


@dataclass(frozen=True, slots=True)
class FrameHash:
    """The PDQ hash of one sampled frame: its number among the decoded frames (from 0) and its time."""

    frame: int
    seconds: float
    pdq: bytes
    quality: int

    @property
    def hex(self) -> str:
        return PDQ.format(self.pdq)


@dataclass(frozen=True, slots=True)
class VideoLimits:
    """How much of one video is decoded; a larger or longer one is refused or cut short, and says so."""

    max_bytes: int = 1 << 30
    max_seconds: float = 3600.0
    max_frames: int = 250_000  # decoded frames, not hashed ones: bounds work on bogus frame rates


@dataclass(frozen=True, slots=True)
class VideoHash:
    frames: tuple[FrameHash, ...]
    decoded: int  # frames decoded
    width: int
    height: int
    # Why decoding stopped before the end of the video, if it did, and how many frames had errors.
    note: str | None = None
    corrupt: int = 0  # decoded frames FFmpeg flagged: errors in the stream, concealed by the decoder
    rejected: int = 0  # packets the decoder refused outright: skipped, their frames not decoded
    # Stretches with no decoded frame (from, to: seconds, as frame times), see GAP_INTERVALS.
    gaps: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True, slots=True)
class VpdqMatch:
    """vPDQ's two figures: how much of each video is found in the other, in percent of its frames."""

    query_match_percent: float
    compared_match_percent: float

    def matches(self, query_percent: float = 80.0, compared_percent: float = 0.0) -> bool:
        """vPDQ's default decision: >= 80 % of the query's frames found, any share of the other's."""
        return self.query_match_percent >= query_percent and self.compared_match_percent >= compared_percent


def vpdq_of_video(
    source: _VideoSource,
    *,
    limits: VideoLimits = VideoLimits(),
    seconds_per_hash: float = SECONDS_PER_HASH,
    name: str | None = None,
    decoder_threads: int = DECODER_THREADS,
) -> VideoHash:
    """The vPDQ frame hashes of a video file (a path or a seekable binary file object).

    ``name`` is how errors and notes refer to the video (default: its path); pass one when the path is a
    temporary copy whose name must not reach a report. ``decoder_threads``: see :data:`DECODER_THREADS`.
    """
    if not VPDQ_AVAILABLE:
        raise VideoHashUnavailable(VPDQ_MISSING)
    if seconds_per_hash <= 0:
        raise ValueError("seconds_per_hash must be positive")
    if decoder_threads < 0:
        raise ValueError("decoder_threads must be 0 (FFmpeg chooses) or more")
    # Imported here: the decoding module imports PyAV, which may be missing (checked above), and the types
    # of this module, which it must find defined.
    from vigilant.perceptual.vpdq_decode import hash_stream  # noqa: PLC0415

    label = name or _source_name(source)
    step = Fraction(seconds_per_hash)
    if isinstance(source, str | os.PathLike):
        try:
            with open(source, "rb") as stream:
                return hash_stream(stream, limits, step, label, decoder_threads)
        except FileNotFoundError as exc:
            raise VideoDecodeError(f"video {label} does not exist", hint="check the path") from exc
    return hash_stream(source, limits, step, label, decoder_threads)


def vpdq_match(
    query: Sequence[FrameHash],
    compared: Sequence[FrameHash],
    *,
    distance: int = VPDQ_DISTANCE,
    quality: int = VPDQ_QUALITY,
) -> VpdqMatch:
    """Compare two videos' frame hashes as vPDQ does.

    Frames of quality below ``quality`` are dropped and exact duplicate hashes kept once, in each video;
    then the query-match percentage is the share of the query's remaining frames within ``distance`` bits
    of some frame of the other video, and the compared-match percentage the same the other way round.
    A video left with no frame matches nothing (0 %).
    """
    left, right = _prepared(query, quality), _prepared(compared, quality)
    if not len(left) or not len(right):
        return VpdqMatch(0.0, 0.0)
    close = _within(left, right, distance)
    return VpdqMatch(
        100.0 * float(close.any(axis=1).sum()) / len(left),
        100.0 * float(close.any(axis=0).sum()) / len(right),
    )


def _source_name(source: _VideoSource) -> str:
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else "<video stream>"


# --- comparing --------------------------------------------------------------------------------------------


def _prepared(frames: Sequence[FrameHash], quality: int) -> npt.NDArray[np.uint64]:
    """The distinct hashes of the frames of at least ``quality``, as rows of four 64-bit words."""
    unique = dict.fromkeys(f.pdq for f in frames if f.quality >= quality)
    if not unique:
        return np.zeros((0, 4), np.uint64)
    return np.frombuffer(b"".join(unique), np.uint64).reshape(-1, 4)


def _within(
    left: npt.NDArray[np.uint64], right: npt.NDArray[np.uint64], distance: int
) -> npt.NDArray[np.bool_]:
    """``close[i, j]``: hash i of ``left`` is within ``distance`` bits of hash j of ``right``."""
    close = np.empty((len(left), len(right)), np.bool_)
    block = max(1, (1 << 22) // max(1, len(right)))
    for start in range(0, len(left), block):
        part = left[start : start + block, np.newaxis, :] ^ right[np.newaxis, :, :]
        close[start : start + block] = np.bitwise_count(part).sum(axis=2, dtype=np.int32) <= distance
    return close
