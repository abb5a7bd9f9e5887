"""Facts from a video: its vPDQ frame hashes (one PDQ per second), or why there are none.

Runs in the picture worker processes (decoding holds the GIL), so it takes and returns plain values. Those
processes share the cores between them, so FFmpeg decodes each video with one thread of its own (vpdq's
``DECODER_THREADS``). The video is read from a temporary copy the reading thread wrote; notes never name
that copy, so two runs on the same evidence give the same records.
"""

from __future__ import annotations

from dataclasses import dataclass

from vigilant.errors import VigilantError
from vigilant.perceptual.vpdq import FrameHash, VideoLimits, vpdq_of_video


@dataclass(frozen=True)
class VideoFacts:
    frames: tuple[FrameHash, ...] = ()
    # Decoding stopped early (a limit, or corruption after some frames); frames with errors, concealed.
    note: str | None = None
    error: str | None = None  # nothing could be hashed


def video_facts(path: str, limits: VideoLimits) -> VideoFacts:
    """vPDQ of the video at ``path``; a video that does not decode gives the reason, never raises."""
    try:
        result = vpdq_of_video(path, limits=limits, name="the video")
    except VigilantError as exc:
        return VideoFacts(error=f"vPDQ: {exc}")
    note = None if result.note is None else f"vPDQ: {result.note}"
    return VideoFacts(frames=result.frames, note=note)
