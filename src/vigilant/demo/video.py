"""The demo's videos: a known video for the library (by its vPDQ hash) and a re-encoded copy to seize.

Both are generated: the demo's abstract pictures, one a second, drifting a pixel a frame (so no two frames
are alike), encoded with PyAV's bundled FFmpeg. The copy is another codec, size and bit rate, so its bytes
(and MD5) differ from the known video's: only vPDQ can find it. Without PyAV (the optional ``video``
extra) there are no demo videos and the demo says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from vigilant.hashing.streams import digest_file
from vigilant.library.records import KnownEntry
from vigilant.library.samples import write_vpdq
from vigilant.perceptual import vpdq

if vpdq.VPDQ_AVAILABLE:  # the optional 'video' extra
    import av

SECONDS = 8
FPS = 10
SIZE = (320, 240)


@dataclass(frozen=True)
class DemoVideos:
    known_set: Path  # the library source: JSON lines, one known video
    seized_copy: Path  # the re-encoded copy, for the seized disk


def make_demo_videos(root: Path, draw: Callable[[int, tuple[int, int]], Image.Image]) -> DemoVideos | None:
    """The known video's vPDQ set and its re-encoded copy, or None without PyAV (``draw``: the demo's
    picture generator)."""
    if not vpdq.VPDQ_AVAILABLE:
        return None

    def encode(path: Path, codec: str, size: tuple[int, int], bit_rate: int) -> Path:
        with av.open(str(path), "w") as container:
            stream = container.add_stream(codec, rate=FPS)
            assert isinstance(stream, av.VideoStream)
            stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
            stream.bit_rate = bit_rate
            for second in range(SECONDS):
                still = np.asarray(draw(3000 + second, SIZE).convert("RGB"))
                for shift in range(FPS):
                    frame = av.VideoFrame.from_ndarray(np.roll(still, shift, axis=1), format="rgb24")
                    container.mux(stream.encode(frame.reformat(width=size[0], height=size[1])))
            container.mux(stream.encode(None))
        return path

    folder = root / "reference-media"
    folder.mkdir(parents=True, exist_ok=True)
    known = encode(folder / "demo-known-video.mp4", "libx264", SIZE, 800_000)
    copy = encode(root / "seized-holiday-clip.mkv", "mpeg4", (256, 192), 300_000)
    digests = digest_file(known)
    frames = vpdq.vpdq_of_video(known).frames
    entry = KnownEntry(
        location="video 0",
        md5=digests.md5,
        sha1=digests.sha1,
        sha256=digests.sha256,
        category="1",
        series="Demo video series",
        file_name=known.name,
        video_frames=frames,
    )
    return DemoVideos(write_vpdq(root / "demo-known-videos.jsonl", [entry]), copy)
