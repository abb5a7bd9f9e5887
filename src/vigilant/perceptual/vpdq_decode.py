"""Decoding a video for vPDQ: the PyAV stream read packet by packet, its frames timed, sampled and hashed.

:func:`vigilant.perceptual.vpdq.vpdq_of_video` is the entry; this module, which imports PyAV (the optional
``video`` extra), is imported only when PyAV is installed. It holds the reading of the stream
(:func:`hash_stream`), the decoding packet by packet (:class:`_Decoding`: rejected packets, gaps, frame
times) and the hashing of the frames chosen; the notes that say what could not be decoded are worded here.

Damage that FFmpeg *conceals* (it patches a broken slice from the frames around it and decodes on) stops
nothing: the frames FFmpeg flags as decoded with errors are counted in ``VideoHash.corrupt`` and the note
says how many, so a reviewer knows that some frames, and the ones predicted from them, are not exactly
what was recorded.

Damage the decoder *rejects* (it refuses a packet outright, as FFmpeg does with an H.264 frame whose NAL
unit lengths are overwritten) stops nothing either: a rejected packet is skipped and counted in
``VideoHash.rejected``, and decoding goes on with the next packet, as FFmpeg's own command line does. Only
:data:`~.vpdq.MAX_REJECTED_IN_A_ROW` rejected packets in a row stop the decoding (the rest is
not video the decoder can read; going on would let garbage keep a worker busy), and the note says so.

Stretches of video with no frame at all — the demuxer skipped damaged data without a word (a Matroska
cluster overwritten, say), or the decoder rejected every packet there — are reported as gaps
(``VideoHash.gaps``, and the note): see :data:`~vigilant.perceptual.vpdq.GAP_INTERVALS` for when a stretch
counts. Video missing at the start counts too: when the first decoded frame comes more than that after the
start time the stream (or else the container) states, the stretch from the start is a gap, and frame times
count from the stated start instead of from the first frame. Not seen this way: a start the file itself
does not state (FFmpeg takes the start time from the first packet it finds, so clusters of a Matroska file
lost at its start leave no trace), video missing at the end (the truncation note covers that when the
container states a duration), and packets the decoder takes without error but returns no frame for (H.264
does so after some lost reference frames) unless the stretch is long enough.

FFmpeg opens the file through a Python file object and may not open anything else: playlists and
concatenation lists (HLS, ``concat``) that name other files or URLs are refused.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from fractions import Fraction
from typing import IO, Any, Final

import av
import av.error
from PIL import Image

from vigilant.perceptual.pdq import ImageDecodeError, pdq_of_pil
from vigilant.perceptual.vpdq import (
    GAP_INTERVALS,
    MAX_GAPS_NOTED,
    MAX_REJECTED_IN_A_ROW,
    TIMESTAMP_DIGITS,
    FrameHash,
    VideoDecodeError,
    VideoHash,
    VideoLimits,
)

# PyAV 17 converts frames with threads of its own (one per core unless told); older ones with none.
_CONVERTER_THREADS: Final = int(av.__version__.split(".")[0]) >= 17
_READ_BUFFER: Final = 1 << 20

_Gap = tuple[Fraction, Fraction, bool]  # from, to (seconds), whether the decoder rejected packets in it


def hash_stream(
    stream: IO[bytes], limits: VideoLimits, step: Fraction, label: str, threads: int
) -> VideoHash:
    """The vPDQ hashes of the video in ``stream``, one frame per ``step`` seconds; see the module."""
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
            note = _cut_short(container, last, decoding.origin or Fraction(0), step)
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
    no frame, between two frames or from the stated start to the first frame, is recorded in :attr:`gaps`
    (from, to, whether packets were rejected in it). Errors reading the file (the demuxer's) end the frames
    by raising, as before.
    """

    def __init__(self, container: Any, video: Any, gap: Fraction) -> None:
        self._container = container
        self._video = video
        self._gap = gap
        self.rejected = 0
        self.refused: str | None = None
        self.gaps: list[_Gap] = []
        self.origin: Fraction | None = None  # the absolute time (s) frame times count from, once known

    def frames(self) -> Iterator[tuple[int, Fraction | None, Any]]:
        """Decoded frames with their number and presentation time, in seconds from the first frame's.

        When the first frame comes more than the gap after the start the file states, times count from
        that start instead, and the stretch before the first frame is the first gap.
        """
        origin: Fraction | None = None  # the time of the first frame, or of the start if video is missing
        rate = self._video.average_rate
        covered: Fraction | None = None  # where the frames so far end: the latest time + duration
        rejected_at_cover = 0  # rejected packets when the latest frame came
        for index, frame in enumerate(self._decoded()):
            if frame.pts is None:
                yield index, (Fraction(index) / Fraction(rate)) if rate else None, frame
                continue
            base = Fraction(frame.time_base or self._video.time_base)
            if origin is None:
                origin = self.origin = self._origin(frame.pts * base)
                covered = None if origin == frame.pts * base else Fraction(0)
            seconds = frame.pts * base - origin
            if covered is not None and seconds - covered > self._gap:
                self.gaps.append((covered, seconds, self.rejected > rejected_at_cover))
            ticks = getattr(frame, "duration", None)  # in time_base units; not every PyAV version has it
            duration = ticks * base if ticks else (1 / Fraction(rate) if rate else 0)
            covered = seconds + duration if covered is None else max(covered, seconds + duration)
            rejected_at_cover = self.rejected
            yield index, seconds, frame

    def _origin(self, first: Fraction) -> Fraction:
        """Where frame times count from: the stated start if ``first`` (s) comes over a gap after it."""
        start = self._start()
        return start if start is not None and first - start > self._gap else first

    def _start(self) -> Fraction | None:
        """The start time, in seconds, that the stream states, or else the container; None if neither."""
        if self._video.start_time is not None and self._video.time_base:
            return Fraction(self._video.start_time) * Fraction(self._video.time_base)
        if self._container.start_time is not None:
            return Fraction(self._container.start_time, av.time_base)
        return None

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


def _decode_with(context: Any, threads: int) -> None:
    """Decode with ``threads`` threads (see ``DECODER_THREADS``); set before the decoder opens."""
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


def _gap_note(gaps: Sequence[_Gap]) -> str | None:
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


def _cut_short(container: Any, last: Fraction | None, origin: Fraction, step: Fraction) -> str | None:
    """A note when the frames end well before the end the container states (a truncated file).

    ``last`` is the last frame's time, counted from ``origin`` (absolute, s). Containers state their length
    two ways: MPEG-TS and MP4 as end minus start, Matroska as the end itself; a frame reaching the smaller
    of the two readings ends the video as far as the file says, so a stream that starts late is never
    called truncated (it was, in Matroska). The price: a cut within the start time of the end goes
    unnoticed.
    """
    if container.duration is None or last is None:
        return None
    stated = Fraction(container.duration, av.time_base)
    if origin + last + 2 * step >= stated:
        return None
    return f"frames end at {float(last):.3f} s, the file says it lasts {float(stated):.3f} s (truncated?)"


def _frame_hash(frame: Any, index: int, seconds: Fraction, label: str, threads: int) -> FrameHash:
    try:
        result = pdq_of_pil(frame.to_image(threads=threads) if _CONVERTER_THREADS else frame.to_image())
    except ImageDecodeError as exc:
        raise VideoDecodeError(f"cannot hash frame {index} of video {label}: {exc}") from exc
    return FrameHash(index, round(float(seconds), TIMESTAMP_DIGITS), result.hash, result.quality)
