"""Small synthetic videos for the vPDQ tests, encoded with PyAV's bundled FFmpeg.

A "scene" is a random grid of colours, smoothly upscaled: busy enough for PDQ quality 100. A video shows one
scene per second, drifting by a pixel a frame, so that no two frames are identical.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
from PIL import Image

SIZE = (640, 480)


def scene(seed: int, size: tuple[int, int] = SIZE) -> Image.Image:
    """A benign abstract picture, different for every seed."""
    rng = np.random.default_rng(seed)
    grid = rng.integers(0, 256, (9, 12, 3), dtype=np.uint8)
    return Image.fromarray(grid, "RGB").resize(size, Image.Resampling.BICUBIC)


def frames_of(scenes: Sequence[int], fps: int, size: tuple[int, int] = SIZE) -> list[npt.NDArray[np.uint8]]:
    """``fps`` frames per scene seed: the scene drifting right by a pixel a frame."""
    frames: list[npt.NDArray[np.uint8]] = []
    for seed in scenes:
        still = np.asarray(scene(seed, size))
        frames.extend(np.roll(still, shift, axis=1) for shift in range(fps))
    return frames


def write_video(
    path: Path,
    frames: Sequence[npt.NDArray[np.uint8]],
    *,
    fps: int = 25,
    codec: str = "libx264",
    size: tuple[int, int] | None = None,
    bit_rate: int | None = None,
    options: dict[str, str] | None = None,
) -> Path:
    """Encode RGB frames as a video; the container follows the file's suffix (.mp4, .mkv, .ts, …)."""
    height, width = frames[0].shape[:2]
    out_width, out_height = size or (width, height)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = out_width, out_height, "yuv420p"
        if bit_rate is not None:
            stream.bit_rate = bit_rate
        chosen: dict[str, object] = {"preset": "ultrafast"} if codec == "libx264" else {}
        stream.options = chosen | dict(options or {})
        for index, pixels in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
            if size is not None:
                frame = frame.reformat(width=out_width, height=out_height)
            frame.pts, frame.time_base = index, Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def damage_inter_frames(path: Path, count: int = 3) -> Path:
    """Zero the last 16 bytes of ``count`` inter frames (P or B) spread over the video, in place.

    Each such frame's slice is broken near its end: the decoder finds the error, conceals the damaged
    macroblocks from the frame before and decodes on, flagging the frame; nothing stops the decoding. The
    container is untouched (the packets keep their size), so the demuxer sees nothing wrong.
    """
    with av.open(str(path)) as container:
        inter = [
            (packet.pos, packet.size)
            for packet in container.demux(container.streams.video[0])
            if packet.size and not packet.is_keyframe and packet.pos is not None
        ]
    data = bytearray(path.read_bytes())
    for k in range(1, count + 1):
        pos, size = inter[k * len(inter) // (count + 1)]
        data[pos + size - 16 : pos + size] = bytes(16)
    path.write_bytes(data)
    return path
