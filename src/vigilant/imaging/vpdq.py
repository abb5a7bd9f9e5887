"""vPDQ: perceptual hashes of videos, as Meta's vPDQ defines them — a PDQ hash per second of video.

A video is decoded as a stream (PyAV, whose wheels bundle FFmpeg: the optional ``video`` extra), never held
in memory whole. Every frame is decoded, as vPDQ does; one frame per :data:`SECONDS_PER_HASH` is hashed: the
first frame whose *presentation time* (from the first frame's) reaches 0 s, 1 s, 2 s, … — so variable
frame rates and gaps are handled by time, not by counting frames. Each chosen frame goes through the same
PDQ code path as a still picture (:func:`vigilant.imaging.pdq.pdq_of_pil`: RGB, box downscale to 512 px,
pdqhash), so a known picture that appears as a frame hashes as the picture does.

Deduplication: a sampled frame whose PDQ hash is *identical* to the previous kept frame's is dropped (a
static shot keeps its first second only). Near-identical hashes are all kept. This never changes a
:func:`vpdq_match` result, which, like python-threatexchange's vPDQ matcher, drops exact duplicates anyway.

Decoding is bounded by a :class:`VideoLimits`: the file's size, the seconds of video and the frames decoded.
A video cut short by a limit or by corruption keeps the frames hashed so far and says why in
:attr:`VideoHash.note`; one that yields no frame at all raises :class:`VideoDecodeError`.

Damage that FFmpeg *conceals* (it patches a broken slice from the frames around it and decodes on) stops
nothing: the frames FFmpeg flags as decoded with errors are counted in :attr:`VideoHash.corrupt` and the
note says how many, so a reviewer knows that some frames, and the ones predicted from them, are not exactly
what was recorded.

Damage the decoder *rejects* (it refuses a packet outright, as FFmpeg does with an H.264 frame whose NAL
unit lengths are overwritten) stops nothing either: frames are decoded packet by packet, a rejected packet is
skipped and counted in :attr:`VideoHash.rejected`, and decoding goes on with the next packet, as FFmpeg's own
command line does. Only :data:`MAX_REJECTED_IN_A_ROW` rejected packets in a row stop the decoding (the rest
is not video the decoder can read; going on would let garbage keep a worker busy), and the note says so.

Stretches of video with no frame at all — the demuxer skipped damaged data without a word (a Matroska
cluster overwritten, say), or the decoder rejected every packet there — are reported as gaps
(:attr:`VideoHash.gaps`, and the note): see :data:`GAP_INTERVALS` for when a stretch counts. Not seen this
way: video missing before the first decoded frame (times count from it), missing at the end (the truncation
note covers that when the container states a duration), and packets the decoder takes without error but
returns no frame for (H.264 does so after some lost reference frames) unless the stretch is long enough.

FFmpeg decodes each video, and converts its frames to RGB, with :data:`DECODER_THREADS` threads (one):
triage already runs one decoding process per core.

FFmpeg opens the file through a Python file object and may not open anything else: playlists and
concatenation lists (HLS, ``concat``) that name other files or URLs are refused.

Without PyAV installed, :data:`VPDQ_AVAILABLE` is false and :func:`vpdq_of_video` raises
:class:`VideoHashUnavailable`; triage writes :data:`VPDQ_MISSING` on every video instead.
"""

from __future__ import annotations

import importlib.util
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import IO, Any, Final

import numpy as np
import numpy.typing as npt
from PIL import Image

from vigilant.digests import PDQ
from vigilant.errors import BadInputError, ConfigError
from vigilant.imaging.pdq import PDQ_MIN_QUALITY, ImageDecodeError, pdq_of_pil

VPDQ_AVAILABLE: bool = importlib.util.find_spec("av") is not None
"""Whether PyAV (the optional ``video`` extra) is installed; read at call time, so tests may patch it."""

if VPDQ_AVAILABLE:
    import av
    import av.error

    # PyAV 17 converts frames with threads of its own (one per core unless told); older ones with none.
    _CONVERTER_THREADS = int(av.__version__.split(".")[0]) >= 17

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
"""
MAX_GAPS_NOTED: Final = 3
"""Gaps listed in the note; any more are counted ("and 2 more"), and all are in :attr:`VideoHash.gaps`."""

_VideoSource = str | os.PathLike[str] | IO[bytes]
_READ_BUFFER: Final = 1 << 20


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
    label = name or _source_name(source)
    step = Fraction(seconds_per_hash)
    if isinstance(source, str | os.PathLike):
        try:
            with open(source, "rb") as stream:
                return _hash_stream(stream, limits, step, label, decoder_threads)
        except FileNotFoundError as exc:
            raise VideoDecodeError(f"video {label} does not exist", hint="check the path") from exc
    return _hash_stream(source, limits, step, label, decoder_threads)


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


# --- decoding ---------------------------------------------------------------------------------------------


def _source_name(source: _VideoSource) -> str:
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else "<video stream>"


def _refuse_nested_open(url: str, flags: int, options: dict[str, Any]) -> Any:
    """FFmpeg asks this for every file a container names (HLS segments, concat lists): always no."""
    raise PermissionError(f"a video may not name other files or URLs ({url!r} refused)")


def _size_of(stream: IO[bytes]) -> int:
    here = stream.tell()
    end = stream.seek(0, os.SEEK_END)
    stream.seek(here)
    return end


def _reason(exc: BaseException) -> str:
    """An FFmpeg error's reason without the file name FFmpeg appends (a temporary copy's, in triage)."""
    strerror = getattr(exc, "strerror", None)
    return strerror if isinstance(strerror, str) and strerror else str(exc)


def _hash_stream(
    stream: IO[bytes], limits: VideoLimits, step: Fraction, label: str, threads: int
) -> VideoHash:
    size = _size_of(stream)
    if size > limits.max_bytes:
        raise VideoDecodeError(
            f"video {label} not decoded: {size} bytes is over the limit of {limits.max_bytes}",
            hint="raise the maximum video size to hash it",
        )
    try:
        container = av.open(stream, "r", buffer_size=_READ_BUFFER, io_open=_refuse_nested_open)
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise VideoDecodeError(
            f"cannot decode video {label}: {_reason(exc)}", hint="the file may be corrupt or truncated"
        ) from exc
    with container:
        if not container.streams.video:
            raise VideoDecodeError(f"video {label} has no video stream")
        video = container.streams.video[0]
        _decode_with(video.codec_context, threads)
        width, height = video.codec_context.width, video.codec_context.height
        if Image.MAX_IMAGE_PIXELS is not None and width * height > Image.MAX_IMAGE_PIXELS:
            raise VideoDecodeError(
                f"refused video {label}: {width}x{height} frames are larger than pictures may be",
                hint="it may be a decompression bomb",
            )
        frames: list[FrameHash] = []
        decoded = 0
        corrupt = 0  # frames FFmpeg decoded with errors and concealed them
        note: str | None = None
        next_at = Fraction(0)  # the presentation time the next hashed frame must reach
        last: Fraction | None = None  # the latest frame's time
        decoding = _Decoding(container, video, step * GAP_INTERVALS)
        try:
            for index, seconds, frame in decoding.frames():
                if index >= limits.max_frames:
                    note = f"stopped after {limits.max_frames} decoded frames (the limit)"
                    break
                decoded += 1
                if frame.is_corrupt:
                    corrupt += 1
                last = seconds if seconds is not None else last
                if seconds is None or seconds < next_at:
                    continue
                if seconds > limits.max_seconds:
                    note = f"hashed the first {limits.max_seconds:g} s only (the limit)"
                    break
                # The first frame at or after k·step is hashed; a gap in the video skips the empty slots.
                next_at = (math.floor(seconds / step) + 1) * step
                hashed = _frame_hash(frame, index, seconds, label, threads)
                if frames and frames[-1].pdq == hashed.pdq:
                    continue  # a static shot: the frame that starts it stands for it
                frames.append(hashed)
        except (av.FFmpegError, OSError, ValueError, EOFError) as exc:
            if not frames:
                raise VideoDecodeError(
                    f"cannot decode video {label}: {_reason(exc)}",
                    hint="the file may be corrupt or truncated",
                ) from exc
            note = f"decoding stopped at {frames[-1].seconds:.3f} s: {_reason(exc)} (corrupt or truncated)"
        if decoding.refused is not None:
            if not frames:
                raise VideoDecodeError(
                    f"cannot decode video {label}: {decoding.refused}",
                    hint="the file may be corrupt, or not a video",
                )
            stopped = frames[-1].seconds if last is None else float(last)  # the last frame decoded
            note = (
                f"decoding stopped at {stopped:.3f} s: {MAX_REJECTED_IN_A_ROW} packets in a row "
                f"rejected by the decoder ({decoding.refused})"
            )
        if note is None:
            note = _cut_short(container, last, step)
    if not frames:
        raise VideoDecodeError(f"video {label} has no decodable frame")
    gaps = tuple(
        (round(float(a), TIMESTAMP_DIGITS), round(float(b), TIMESTAMP_DIGITS)) for a, b, _ in decoding.gaps
    )
    note = _joined(note, _gap_note(decoding.gaps), _counted(decoding.rejected, corrupt))
    return VideoHash(tuple(frames), decoded, width, height, note, corrupt, decoding.rejected, gaps)


class _Decoding:
    """A video stream decoded packet by packet: the frames, timed, and what could not be decoded.

    A packet the decoder rejects is skipped and counted (:attr:`rejected`); :data:`MAX_REJECTED_IN_A_ROW`
    in a row end the frames, with the decoder's reason in :attr:`refused`. A stretch longer than ``gap`` with
    no frame is recorded in :attr:`gaps` (from, to, whether packets were rejected in it). Errors reading the
    file (the demuxer's) end the frames by raising, as before.
    """

    def __init__(self, container: Any, video: Any, gap: Fraction) -> None:
        self._container = container
        self._video = video
        self._gap = gap
        self.rejected = 0
        self.refused: str | None = None
        self.gaps: list[tuple[Fraction, Fraction, bool]] = []

    def frames(self) -> Iterator[tuple[int, Fraction | None, Any]]:
        """Decoded frames with their number and presentation time, in seconds from the first frame's."""
        origin: int | None = None
        rate = self._video.average_rate
        covered: Fraction | None = None  # where the frames so far end: the latest time + duration
        rejected_at_cover = 0  # rejected packets when the latest frame came
        for index, frame in enumerate(self._decoded()):
            if frame.pts is None:
                yield index, (Fraction(index) / Fraction(rate)) if rate else None, frame
                continue
            if origin is None:
                origin = frame.pts
            base = Fraction(frame.time_base or self._video.time_base)
            seconds = Fraction(frame.pts - origin) * base
            if covered is not None and seconds - covered > self._gap:
                self.gaps.append((covered, seconds, self.rejected > rejected_at_cover))
            ticks = getattr(frame, "duration", None)  # in time_base units; not every PyAV version has it
            duration = ticks * base if ticks else (1 / Fraction(rate) if rate else 0)
            covered = seconds + duration if covered is None else max(covered, seconds + duration)
            rejected_at_cover = self.rejected
            yield index, seconds, frame

    def _decoded(self) -> Iterator[Any]:
        in_a_row = 0
        for packet in self._container.demux(self._video):
            if not packet.size:
                continue  # the demuxer's end-of-stream packet: the decoder is flushed below
            try:
                decoded = self._video.decode(packet)
            except av.error.EOFError:
                break
            except av.FFmpegError as exc:
                self.rejected += 1
                in_a_row += 1
                if in_a_row >= MAX_REJECTED_IN_A_ROW:
                    self.refused = _reason(exc)
                    return
                continue
            in_a_row = 0
            yield from decoded
        try:
            yield from self._video.decode(None)  # the frames the decoder still holds
        except av.error.EOFError:
            pass
        except av.FFmpegError:
            self.rejected += 1


def _decode_with(context: Any, threads: int) -> None:
    """Decode with ``threads`` threads (see :data:`DECODER_THREADS`); set before the decoder opens."""
    context.thread_count = threads
    context.thread_type = "NONE" if threads == 1 else "AUTO"  # more than one: frame and slice threads


def _counted(rejected: int, corrupt: int) -> str | None:
    """How many packets the decoder rejected and how many frames had errors it concealed, if any."""
    parts = []
    if rejected:
        parts.append(f"{rejected} packet{'s' if rejected != 1 else ''} rejected by the decoder (skipped)")
    if corrupt:
        parts.append(
            f"{corrupt} frame{'s' if corrupt != 1 else ''} decoded with errors (concealed by the decoder)"
        )
    return "; ".join(parts) or None


def _gap_note(gaps: Sequence[tuple[Fraction, Fraction, bool]]) -> str | None:
    """The first :data:`MAX_GAPS_NOTED` gaps, and how many more there are."""
    if not gaps:
        return None
    listed = [
        f"video missing from {float(a):.3f} s to {float(b):.3f} s "
        f"(not decoded: {'packets rejected by the decoder' if rejected else 'gap in the stream'})"
        for a, b, rejected in gaps[:MAX_GAPS_NOTED]
    ]
    if len(gaps) > MAX_GAPS_NOTED:
        more = len(gaps) - MAX_GAPS_NOTED
        listed.append(f"and {more} more gap{'s' if more != 1 else ''}")
    return "; ".join(listed)


def _joined(*parts: str | None) -> str | None:
    return "; ".join(part for part in parts if part) or None


def _cut_short(container: Any, last: Fraction | None, step: Fraction) -> str | None:
    """A note when the frames end well before the duration the container states (a truncated file)."""
    if container.duration is None or last is None:
        return None
    stated = Fraction(container.duration, av.time_base)
    if last + 2 * step >= stated:
        return None
    return f"frames end at {float(last):.3f} s, the file says it lasts {float(stated):.3f} s (truncated?)"


def _frame_hash(frame: Any, index: int, seconds: Fraction, label: str, threads: int) -> FrameHash:
    try:
        result = pdq_of_pil(frame.to_image(threads=threads) if _CONVERTER_THREADS else frame.to_image())
    except ImageDecodeError as exc:
        raise VideoDecodeError(f"cannot hash frame {index} of video {label}: {exc}") from exc
    return FrameHash(index, round(float(seconds), TIMESTAMP_DIGITS), result.hash, result.quality)


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
