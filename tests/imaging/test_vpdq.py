"""vPDQ on synthetic videos encoded in the tests: sampling by time, re-encodes match, limits, bad files."""

from __future__ import annotations

import io
import os
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tests.imaging.videos import damage_inter_frames, frames_of, scene, write_video

from vigilant.imaging import vpdq
from vigilant.imaging.pdq import PdqResult, pdq_of_pil
from vigilant.imaging.vpdq import (
    DECODER_THREADS,
    FrameHash,
    VideoDecodeError,
    VideoHashUnavailable,
    VideoLimits,
    VpdqMatch,
    vpdq_match,
    vpdq_of_video,
)

SMALL = (320, 240)
LARGE = (640, 480)


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("videos")
    return {
        # 6 s at 10 frames/s, one scene a second.
        "original": write_video(root / "original.mp4", frames_of(range(1, 7), 10, LARGE), fps=10),
        # The same scenes, another codec, container, half the size and a low bit rate.
        "reencoded": write_video(
            root / "reencoded.mkv",
            frames_of(range(1, 7), 10, LARGE),
            fps=10,
            codec="mpeg4",
            size=SMALL,
            bit_rate=200_000,
        ),
        "other": write_video(root / "other.mp4", frames_of(range(101, 107), 10, SMALL), fps=10),
        # 30 frames/s: the hashed frames are 0, 30, 60, … by their timestamps.
        "thirty": write_video(root / "thirty.mp4", frames_of(range(1, 4), 30, SMALL), fps=30),
    }


def _brute(query: list[FrameHash], compared: list[FrameHash], distance: int, quality: int) -> VpdqMatch:
    """vPDQ's definition, written out as python-threatexchange's brute-force matcher does it."""

    def prepared(frames: list[FrameHash]) -> list[str]:
        unique: list[str] = []
        for f in frames:
            if f.hex not in unique:
                unique.append(f.hex)
        kept = {f.hex for f in frames if f.quality >= quality}
        return [h for h in unique if h in kept]

    def found(a: list[str], b: list[str]) -> int:
        return sum(any(bin(int(x, 16) ^ int(y, 16)).count("1") <= distance for y in b) for x in a)

    q, c = prepared(query), prepared(compared)
    if not q or not c:
        return VpdqMatch(0.0, 0.0)
    return VpdqMatch(100 * found(q, c) / len(q), 100 * found(c, q) / len(c))


def test_one_frame_per_second_by_timestamp(videos: dict[str, Path]) -> None:
    result = vpdq_of_video(videos["original"])
    assert [(f.frame, f.seconds) for f in result.frames] == [(i * 10, float(i)) for i in range(6)]
    assert result.decoded == 60
    assert (result.width, result.height) == LARGE
    assert result.note is None
    assert all(f.quality == 100 for f in result.frames)
    thirty = vpdq_of_video(videos["thirty"])
    assert [(f.frame, f.seconds) for f in thirty.frames] == [(0, 0.0), (30, 1.0), (60, 2.0)]
    two = vpdq_of_video(videos["original"], seconds_per_hash=2)
    assert [f.seconds for f in two.frames] == [0.0, 2.0, 4.0]


def test_a_frame_hashes_as_the_same_picture_does(videos: dict[str, Path]) -> None:
    # The frame at 2 s is scene 3 undrifted; only the video codec's loss separates it from the picture.
    frame = vpdq_of_video(videos["original"]).frames[2]
    picture = pdq_of_pil(scene(3, LARGE))
    assert bin(int.from_bytes(frame.pdq) ^ int.from_bytes(picture.hash)).count("1") <= 16


def test_a_reencoded_copy_matches_and_another_video_does_not(videos: dict[str, Path]) -> None:
    original = vpdq_of_video(videos["original"]).frames
    copy = vpdq_of_video(io.BytesIO(videos["reencoded"].read_bytes())).frames
    assert [f.seconds for f in copy] == [f.seconds for f in original]
    match = vpdq_match(original, copy)
    # vPDQ calls it a match from 80 % of the query's frames; every frame here is within 31 bits.
    assert match == VpdqMatch(100.0, 100.0)
    assert match.matches()
    other = vpdq_match(original, vpdq_of_video(videos["other"]).frames)
    assert other == VpdqMatch(0.0, 0.0)
    assert not other.matches()


def test_a_static_shot_keeps_its_first_frame(tmp_path: Path) -> None:
    still = np.asarray(scene(7, SMALL))
    frames = [still] * 30 + frames_of([8, 9], 10, SMALL)
    # Lossless, so that the still frames decode to identical pixels (a lossy encoder keeps refining them).
    result = vpdq_of_video(write_video(tmp_path / "static.mp4", frames, fps=10, options={"qp": "0"}))
    assert [f.seconds for f in result.frames] == [0.0, 3.0, 4.0]
    assert result.decoded == 50


def test_vpdq_match_agrees_with_the_brute_force_definition() -> None:
    rng = random.Random(5)

    def near(base: bytes, bits: int) -> bytes:
        value = int.from_bytes(base)
        for bit in rng.sample(range(256), bits):
            value ^= 1 << bit
        return value.to_bytes(32)

    bases = [rng.randbytes(32) for _ in range(12)]
    for _ in range(40):
        query = [
            FrameHash(i, float(i), near(rng.choice(bases), rng.randrange(0, 45)), rng.choice([20, 50, 100]))
            for i in range(rng.randrange(0, 15))
        ]
        compared = [
            FrameHash(i, float(i), near(rng.choice(bases), rng.randrange(0, 45)), rng.choice([49, 50, 90]))
            for i in range(rng.randrange(0, 15))
        ]
        query += query[:3]  # exact duplicates count once
        for distance in (0, 31, 40):
            assert vpdq_match(query, compared, distance=distance) == _brute(query, compared, distance, 50)


def test_limits_cut_a_video_short_and_say_so(videos: dict[str, Path]) -> None:
    timed = vpdq_of_video(videos["original"], limits=VideoLimits(max_seconds=2.5))
    assert [f.seconds for f in timed.frames] == [0.0, 1.0, 2.0]
    assert timed.note is not None
    assert "2.5 s" in timed.note
    counted = vpdq_of_video(videos["original"], limits=VideoLimits(max_frames=15))
    assert [f.frame for f in counted.frames] == [0, 10]
    assert counted.note is not None
    assert "15 decoded frames" in counted.note
    with pytest.raises(VideoDecodeError, match="over the limit"):
        vpdq_of_video(videos["original"], limits=VideoLimits(max_bytes=1000))


def test_broken_videos(videos: dict[str, Path], tmp_path: Path) -> None:
    data = videos["original"].read_bytes()
    # An MP4 cut in half has lost its index (at the end): nothing decodes, and the error says why.
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    with pytest.raises(VideoDecodeError, match="Invalid data") as caught:
        vpdq_of_video(tmp_path / "cut.mp4", name="exhibit")
    assert "exhibit" in str(caught.value)
    assert str(tmp_path) not in str(caught.value)
    # A Matroska file cut in half keeps its first seconds, and says that it ends before its stated length.
    long = write_video(tmp_path / "long.mkv", frames_of(range(1, 9), 10, SMALL), fps=10, codec="mpeg4")
    (tmp_path / "cut.mkv").write_bytes(long.read_bytes()[: long.stat().st_size // 2])
    cut = vpdq_of_video(tmp_path / "cut.mkv")
    assert 1 <= len(cut.frames) < 8
    assert cut.note is not None
    assert "truncated" in cut.note
    (tmp_path / "noise.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(4096))
    with pytest.raises(VideoDecodeError):
        vpdq_of_video(tmp_path / "noise.mp4")
    with pytest.raises(VideoDecodeError, match="does not exist"):
        vpdq_of_video(tmp_path / "missing.mp4")


def test_errors_the_decoder_concealed_are_counted_and_decoding_goes_on(tmp_path: Path) -> None:
    # One encoder thread: x264 writes the same bytes on every machine, so the same frames are damaged.
    frames = frames_of(range(1, 7), 10, SMALL)
    clip = write_video(tmp_path / "clip.mp4", frames, fps=10, options={"threads": "1"})
    intact = vpdq_of_video(clip)
    assert (intact.corrupt, intact.note) == (0, None)

    damaged = vpdq_of_video(damage_inter_frames(clip, 3))
    assert damaged.decoded == 60  # nothing stopped: every frame decoded, every second hashed
    assert [f.seconds for f in damaged.frames] == [f.seconds for f in intact.frames]
    assert damaged.corrupt == 3
    assert damaged.note == "3 frames decoded with errors (concealed by the decoder)"
    # A limit that cuts the video short is said as well.
    cut = vpdq_of_video(clip, limits=VideoLimits(max_frames=55))
    assert cut.corrupt == 3
    assert cut.note == (
        "stopped after 55 decoded frames (the limit); 3 frames decoded with errors (concealed by the decoder)"
    )
    one = write_video(tmp_path / "one.mp4", frames, fps=10, options={"threads": "1"})
    assert vpdq_of_video(damage_inter_frames(one, 1)).note == (
        "1 frame decoded with errors (concealed by the decoder)"
    )


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts the threads in /proc (Linux)")
def test_ffmpeg_decodes_with_one_thread_unless_asked(
    videos: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert DECODER_THREADS == 1
    seen: list[int] = []  # this process's threads at each hashed frame, the decoder open

    def counting(image: Image.Image) -> PdqResult:
        seen.append(len(os.listdir("/proc/self/task")))
        return pdq_of_pil(image)

    monkeypatch.setattr(vpdq, "pdq_of_pil", counting)
    before = len(os.listdir("/proc/self/task"))
    vpdq_of_video(videos["original"])
    assert seen
    assert max(seen) == before  # FFmpeg started no thread of its own
    seen.clear()
    vpdq_of_video(videos["original"], decoder_threads=2)
    assert min(seen) > before
    with pytest.raises(ValueError, match="decoder_threads"):
        vpdq_of_video(videos["original"], decoder_threads=-1)


def test_a_playlist_may_not_open_other_files(videos: dict[str, Path], tmp_path: Path) -> None:
    playlist = tmp_path / "list.m3u8"
    playlist.write_text(
        f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:6.0,\n{videos['original']}\n#EXT-X-ENDLIST\n"
    )
    with pytest.raises(VideoDecodeError, match="may not name other files"):
        vpdq_of_video(playlist)


def test_without_pyav_it_says_what_to_install(
    videos: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vpdq, "VPDQ_AVAILABLE", False)
    with pytest.raises(VideoHashUnavailable, match="video' extra"):
        vpdq_of_video(videos["original"])
