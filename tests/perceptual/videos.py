"""Small synthetic videos for the vPDQ tests, encoded with PyAV's bundled FFmpeg.

A "scene" is a random grid of colours, smoothly upscaled: busy enough for PDQ quality 100. A video shows one
scene per second, drifting by a pixel a frame, so that no two frames are identical.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
from PIL import Image

SIZE = (640, 480)
_CLUSTER_ID = b"\x1f\x43\xb6\x75"  # a Matroska cluster element starts with these bytes


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
    times: Sequence[int] | None = None,
) -> Path:
    """Encode RGB frames as a video; the container follows the file's suffix (.mp4, .mkv, .ts, …).

    ``times``: each frame's presentation time, in frames (1/``fps`` s); default 0, 1, 2, … A jump in them
    leaves a stretch with no frame, as a demuxer skipping damaged data does.
    """
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
            frame.pts, frame.time_base = index if times is None else times[index], Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def damage_inter_frames(path: Path, count: int = 3) -> Path:
    """Zero the last 16 bytes of ``count`` inter frames (P or B) spread over the video, in place.

    Each such frame's slice is broken near its end: the decoder finds the error, conceals the damaged
    macroblocks from the frame before and decodes on, flagging the frame; nothing stops the decoding. The
    container is untouched (the packets keep their size), so the demuxer sees nothing wrong.
    """
    inter = _inter_packets(path)
    data = bytearray(path.read_bytes())
    for k in range(1, count + 1):
        pos, size = inter[k * len(inter) // (count + 1)]
        data[pos + size - 16 : pos + size] = bytes(16)
    path.write_bytes(data)
    return path


def _inter_packets(path: Path) -> list[tuple[int, int]]:
    """Where the inter frames' packets (P or B) lie in the file: (offset, size), in file order."""
    return _packets(path, inter_only=True)


def _packets(path: Path, *, inter_only: bool = False) -> list[tuple[int, int]]:
    """Where the video packets (only inter frames', P or B, if asked) lie in the file: (offset, size)."""
    with av.open(str(path)) as container:
        return [
            (packet.pos, packet.size)
            for packet in container.demux(container.streams.video[0])
            if packet.size and not (inter_only and packet.is_keyframe) and packet.pos is not None
        ]


def scramble_inter_frames(path: Path, which: Sequence[int], seed: int = 0) -> Path:
    """Overwrite the first half of some inter frames' packets with random bytes (fixed seed), in place.

    ``which``: the frames' numbers among the inter frames, in file order. In MP4 an H.264 packet starts with
    its NAL units' lengths: with those overwritten the decoder cannot even split the packet and rejects it
    (``InvalidDataError``) instead of concealing anything. The container is untouched.
    """
    return _scramble(path, _inter_packets(path), which, seed)


def scramble_packets(path: Path, which: Sequence[int], seed: int = 0) -> Path:
    """As :func:`scramble_inter_frames`, with ``which`` numbering all the video packets, key frames too."""
    return _scramble(path, _packets(path), which, seed)


def _scramble(path: Path, packets: Sequence[tuple[int, int]], which: Sequence[int], seed: int) -> Path:
    rng = random.Random(seed)
    data = bytearray(path.read_bytes())
    for k in which:
        pos, size = packets[k]
        data[pos : pos + size // 2] = rng.randbytes(size // 2)
    path.write_bytes(data)
    return path


def scramble_matroska_clusters(path: Path, first: int, count: int, seed: int = 0) -> Path:
    """Overwrite ``count`` Matroska clusters from cluster ``first`` (from 0) with random bytes, in place.

    The demuxer finds no cluster there, resynchronises on the next cluster's ID and goes on without a word:
    the frames of those clusters are simply never seen. A cluster is found by its element ID.
    """
    data = bytearray(path.read_bytes())
    starts: list[int] = []
    at = data.find(_CLUSTER_ID)
    while at >= 0:
        starts.append(at)
        at = data.find(_CLUSTER_ID, at + len(_CLUSTER_ID))
    end = starts[first + count] if first + count < len(starts) else len(data)
    data[starts[first] : end] = random.Random(seed).randbytes(end - starts[first])
    path.write_bytes(data)
    return path
