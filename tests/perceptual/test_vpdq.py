"""vPDQ on synthetic videos encoded in the tests: sampling by time, re-encodes match, limits, bad files."""

from __future__ import annotations

import io
import os
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.perceptual.videos import (
    damage_inter_frames,
    frames_of,
    scene,
    scramble_inter_frames,
    scramble_matroska_clusters,
    scramble_packets,
    write_video,
)
from vigilant.perceptual import vpdq, vpdq_decode
from vigilant.perceptual.pdq import PdqResult, pdq_of_pil
from vigilant.perceptual.vpdq import (
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
    assert (result.corrupt, result.rejected, result.gaps) == (0, 0, ())
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


def test_a_packet_the_decoder_rejects_is_skipped_and_decoding_goes_on(tmp_path: Path) -> None:
    # One encoder thread: the same bytes on every machine. x264 (ultrafast) makes frame 0 the only key
    # frame, so inter frame k is frame k + 1: frames 20 and 40 (2 s and 4 s) are rejected.
    frames = frames_of(range(1, 7), 10, SMALL)
    clip = write_video(tmp_path / "clip.mp4", frames, fps=10, options={"threads": "1"})
    result = vpdq_of_video(scramble_inter_frames(clip, [19, 39]))
    assert result.decoded == 58
    assert result.rejected == 2
    # Every second is still hashed; at 2 s and 4 s by the next frame, the first one decoded.
    assert [(f.frame, f.seconds) for f in result.frames] == [
        (0, 0.0),
        (10, 1.0),
        (20, 2.1),
        (29, 3.0),
        (39, 4.1),
        (48, 5.0),
    ]
    assert result.note == "2 packets rejected by the decoder (skipped)"
    assert result.gaps == ()


def test_many_rejected_packets_leave_a_gap_and_too_many_in_a_row_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames = frames_of(range(1, 7), 10, SMALL)
    clip = write_video(tmp_path / "clip.mp4", frames, fps=10, options={"threads": "1"})
    # Frames 20 to 44 rejected: no frame from 2 s (where frame 19 ends) to 4.5 s.
    result = vpdq_of_video(scramble_inter_frames(clip, range(19, 44)))
    assert result.rejected == 25
    assert [f.seconds for f in result.frames] == [0.0, 1.0, 4.5, 5.0]
    assert result.gaps == ((2.0, 4.5),)
    assert result.note == (
        "video missing from 2.000 s to 4.500 s (not decoded: packets rejected by the decoder); "
        "25 packets rejected by the decoder (skipped)"
    )
    # So many in a row stop the decoding (garbage must not keep a worker busy), and the note says where.
    monkeypatch.setattr(vpdq_decode, "MAX_REJECTED_IN_A_ROW", 10)
    stopped = vpdq_of_video(clip)
    assert stopped.decoded == 20
    assert [f.seconds for f in stopped.frames] == [0.0, 1.0]
    assert stopped.note == (
        "decoding stopped at 1.900 s: 10 packets in a row rejected by the decoder "
        "(Invalid data found when processing input); 10 packets rejected by the decoder (skipped)"
    )
    # More (frames 5, 10, 15, …), but never two in a row, stop nothing.
    spread = write_video(tmp_path / "spread.mp4", frames, fps=10, options={"threads": "1"})
    result = vpdq_of_video(scramble_inter_frames(spread, range(4, 59, 5)))
    assert (result.rejected, result.decoded) == (11, 49)
    assert [f.seconds for f in result.frames] == [0.0, 1.1, 2.1, 3.1, 4.1, 5.1]
    assert result.note == "11 packets rejected by the decoder (skipped)"


def test_the_frames_the_decoder_holds_back_are_decoded_at_the_end(tmp_path: Path) -> None:
    # x264's medium preset uses B-frames: the decoder holds the last frames until it is flushed.
    frames = frames_of(range(1, 4), 10, SMALL)
    clip = write_video(tmp_path / "b.mp4", frames, fps=10, options={"threads": "1", "preset": "medium"})
    result = vpdq_of_video(clip)
    assert result.decoded == 30
    assert (result.note, result.rejected) == (None, 0)


def test_a_stretch_the_demuxer_skipped_is_reported_as_a_gap(tmp_path: Path) -> None:
    # mpeg4 in Matroska: a key frame, and a cluster, every 1.2 s (0, 1.2, 2.4, 3.6, 4.8, …).
    frames = frames_of(range(1, 9), 10, SMALL)
    clip = write_video(tmp_path / "clip.mkv", frames, fps=10, codec="mpeg4")
    assert vpdq_of_video(clip).note is None
    # Clusters 2 and 3 (2.4 s to 4.8 s) overwritten: the demuxer skips them without a word, no frame is
    # flagged, and the last frame is still near the end, so nothing looks truncated.
    result = vpdq_of_video(scramble_matroska_clusters(clip, 2, 2, seed=7))
    assert result.decoded == 56
    assert (result.corrupt, result.rejected) == (0, 0)
    assert [f.seconds for f in result.frames] == [0.0, 1.0, 2.0, 4.8, 5.0, 6.0, 7.0]
    assert result.gaps == ((2.4, 4.8),)
    assert result.note == "video missing from 2.400 s to 4.800 s (not decoded: gap in the stream)"


def test_gaps_in_the_presentation_times_are_reported_and_the_note_stays_short(tmp_path: Path) -> None:
    # Five seconds of video, one shown every four seconds: frames at 0-0.9 s, 4-4.9 s, … 16-16.9 s.
    frames = frames_of(range(1, 6), 10, SMALL)
    times = [i + 30 * (i // 10) for i in range(len(frames))]
    clip = write_video(tmp_path / "gaps.mkv", frames, fps=10, codec="mpeg4", times=times)
    result = vpdq_of_video(clip)
    assert [f.seconds for f in result.frames] == [0.0, 4.0, 8.0, 12.0, 16.0]
    assert result.gaps == ((1.0, 4.0), (5.0, 8.0), (9.0, 12.0), (13.0, 16.0))
    assert result.note == (
        "video missing from 1.000 s to 4.000 s (not decoded: gap in the stream); "
        "video missing from 5.000 s to 8.000 s (not decoded: gap in the stream); "
        "video missing from 9.000 s to 12.000 s (not decoded: gap in the stream); and 1 more gap"
    )
    # A gap counts from two hashing intervals: hashing every 2 s, 3 s without a frame is not one.
    assert vpdq_of_video(clip, seconds_per_hash=2).gaps == ()
    # Two seconds without a frame are not a gap at 1 s a hash either (more than two are).
    short = [i + 20 * (i // 10) for i in range(20)]  # 1 s to 3 s: exactly 2 s
    near = write_video(tmp_path / "near.mkv", frames[:20], fps=10, codec="mpeg4", times=short)
    assert vpdq_of_video(near).note is None


def test_video_missing_at_the_start_is_reported_as_a_gap(tmp_path: Path) -> None:
    # A key frame every second; those at 0, 1 and 2 s rejected: H.264 returns no frame until the key frame
    # at 3 s, though the stream starts at 0. Times count from the start, so nothing looks truncated.
    frames = frames_of(range(1, 7), 10, SMALL)
    options = {"threads": "1", "g": "10"}
    clip = write_video(tmp_path / "clip.mp4", frames, fps=10, options=options)
    result = vpdq_of_video(scramble_packets(clip, [0, 10, 20]))
    assert (result.decoded, result.rejected) == (30, 3)
    assert [(f.frame, f.seconds) for f in result.frames] == [(0, 3.0), (10, 4.0), (20, 5.0)]
    assert result.gaps == ((0.0, 3.0),)
    assert result.note == (
        "video missing from 0.000 s to 3.000 s (not decoded: packets rejected by the decoder); "
        "3 packets rejected by the decoder (skipped)"
    )
    # Only the first second missing is not a gap (two intervals are not): times count from the first frame.
    one = write_video(tmp_path / "one.mp4", frames, fps=10, options=options)
    result = vpdq_of_video(scramble_packets(one, [0]))
    assert [f.seconds for f in result.frames] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert result.gaps == ()
    assert result.note == "1 packet rejected by the decoder (skipped)"


@pytest.mark.parametrize("name", ["late.ts", "late.mp4", "late.mkv", "bframes.ts"])
def test_a_stream_that_starts_late_is_not_missing_video(tmp_path: Path, name: str) -> None:
    # MPEG-TS, MP4 and Matroska whose first frame is at 3 s, and MPEG-TS whose B-frames delay the first
    # frame: the file states that start, so nothing is missing, and times count from the first frame.
    # Nor is it truncated (Matroska states its end, not its length: that read as truncation before).
    frames = frames_of(range(1, 5), 10, SMALL)
    late = [30 + i for i in range(len(frames))] if name.startswith("late") else None
    options = {"threads": "1"} | ({"preset": "medium"} if name.startswith("bframes") else {})
    clip = write_video(tmp_path / name, frames, fps=10, options=options, times=late)
    result = vpdq_of_video(clip)
    assert result.decoded == 40
    assert [f.seconds for f in result.frames] == [0.0, 1.0, 2.0, 3.0]
    assert (result.gaps, result.note) == ((), None)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts the threads in /proc (Linux)")
def test_ffmpeg_decodes_with_one_thread_unless_asked(
    videos: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert DECODER_THREADS == 1
    seen: list[int] = []  # this process's threads at each hashed frame, the decoder open

    def counting(image: Image.Image) -> PdqResult:
        seen.append(len(os.listdir("/proc/self/task")))
        return pdq_of_pil(image)

    monkeypatch.setattr(vpdq_decode, "pdq_of_pil", counting)
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
